/**
 * The scheduler: one queue of events on virtual time, run one at a time.
 *
 * Every timer, disk completion and message delivery in a simulated run is an event here, ordered
 * by (time, insertion number). Nothing else ever decides an order, which is what makes a run
 * byte-identical for a seed. After each event the scheduler lets every promise continuation that
 * event released run to completion (it yields once to the real event loop, which only happens
 * after the microtask queue is empty), so lab code written with async/await runs exactly as it
 * would for real, just with time that jumps instead of passing.
 *
 * Events may have an owner (a node id). A paused node's events are held, not run, and are
 * released in their original order when it resumes: that is how a long GC pause looks from inside.
 *
 * A run has a budget (`RunLimits`): simulated time, events in all, and events at one instant. A
 * run that spends it is stopped, never left to spin: events kept coming, so something is busy, but
 * the run did not finish (a livelock). The budget is measured in simulated time and events, never
 * in real time, so where a run stops is part of its seed: its replay stops at the same event.
 */

import { invariant } from "./invariant.ts";
import { Ring } from "./ring.ts";

/** Events kept for explaining a run that stopped (what it kept running). */
export const RECENT_EVENTS = 1_000;

// Captured before any determinism guard can replace it: the harness itself may use the real loop.
const realSetImmediate = globalThis.setImmediate;

/** Lets every queued promise continuation run, then returns. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

export interface ScheduledEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly owner: string | null;
  readonly label: string;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Which part of the budget a stopped run spent. */
export type BudgetSpent = "simTime" | "events" | "eventsAtOneInstant";

/** Why `run` returned. */
export type RunEnd =
  | { kind: "done" }
  /** Nothing is left to happen: the queue is empty. */
  | { kind: "idle"; atMs: number }
  /** Events kept coming until the run's budget was spent. */
  | { kind: "budget"; spent: BudgetSpent; atMs: number; events: number };

export interface RunLimits {
  /** Stop when simulated time would pass this. */
  maxSimMs: number;
  /** Stop after this many events in all. */
  maxEvents: number;
  /** Stop when this many events run without simulated time moving (a loop that never yields time). */
  maxEventsPerInstant: number;
}

/**
 * The default budget of one run. Measured with `npx tsx harness/tools/run-budget.ts LAB` (2026-12):
 * the reference solutions of labs 00 to 02 use at most 19.5 s of simulated time (L2.D) and 9,328
 * events (L2.D) on any default seed. A run goes at 50,000 to 150,000 events per second of CPU, so
 * 50,000 events stop a livelock in well under a second, five times what any reference run needs;
 * ten simulated minutes are thirty times. A part that needs more sets its own (`limits`).
 */
export const defaultRunLimits: RunLimits = {
  maxSimMs: 10 * 60 * 1000,
  maxEvents: 50_000,
  maxEventsPerInstant: 10_000,
};

export class Scheduler {
  /** Current simulated time, in milliseconds since the run began. */
  nowMs = 0;
  /** Events run so far. */
  eventsRun = 0;
  /** The most events that ran at one instant of simulated time (for measuring budgets). */
  busiestInstantEvents = 0;
  private readonly heap: ScheduledEvent[] = [];
  private nextSeq = 0;
  private readonly paused = new Set<string>();
  private readonly held = new Map<string, ScheduledEvent[]>();
  private readonly recent = new Ring<ScheduledEvent>(RECENT_EVENTS);

  constructor(private readonly onError: (error: unknown, event: ScheduledEvent) => void) {}

  /** Schedules `fn` to run `delayMs` (finite, >= 0) from now. */
  after(delayMs: number, owner: string | null, label: string, fn: () => void): ScheduledEvent {
    invariant(Number.isFinite(delayMs) && delayMs >= 0, () => `event "${label}" scheduled after ${delayMs} ms`);
    return this.at(this.nowMs + delayMs, owner, label, fn);
  }

  /** Schedules `fn` at `atMs` (finite, not in the past): time never runs backwards. */
  at(atMs: number, owner: string | null, label: string, fn: () => void): ScheduledEvent {
    invariant(
      Number.isFinite(atMs) && atMs >= this.nowMs,
      () => `event "${label}" scheduled at ${atMs} ms, but it is already ${this.nowMs} ms`,
    );
    const event: ScheduledEvent = {
      atMs,
      seq: this.nextSeq++,
      owner,
      label,
      fn,
      cancelled: false,
    };
    this.push(event);
    return event;
  }

  cancel(event: ScheduledEvent): void {
    event.cancelled = true;
  }

  isPaused(owner: string): boolean {
    return this.paused.has(owner);
  }

  /** Holds `owner`'s events until `resume(owner)`. */
  pause(owner: string): void {
    this.paused.add(owner);
  }

  /** Releases `owner`'s held events, now, in the order they were due. */
  resume(owner: string): void {
    if (!this.paused.delete(owner)) return;
    const events = this.held.get(owner) ?? [];
    this.held.delete(owner);
    for (const event of events) {
      if (!event.cancelled) this.at(this.nowMs, owner, event.label, event.fn);
    }
  }

  /** Drops every event `owner` has queued or held (used when a node's incarnation dies). */
  dropOwner(owner: string): void {
    for (const event of this.heap) if (event.owner === owner) event.cancelled = true;
    this.held.delete(owner);
  }

  /** The last events run, oldest first (at most `RECENT_EVENTS`). */
  recentEvents(): ScheduledEvent[] {
    return this.recent.toArray();
  }

  /** Number of events waiting (including cancelled ones not yet discarded). */
  get pendingCount(): number {
    return this.heap.length;
  }

  /**
   * Runs events until `isDone()` holds after an event, the queue is empty, or the budget is spent.
   * `onProgress` is called after every event: a run that keeps going, however long it takes in real
   * time, can say so (a blocked event loop cannot). The caller decides how often to pass it on.
   */
  async run(isDone: () => boolean, limits: RunLimits = defaultRunLimits, onProgress?: () => void): Promise<RunEnd> {
    let instantMs = this.nowMs;
    let eventsThisInstant = 0;
    await drainMicrotasks();
    while (!isDone()) {
      const event = this.pop();
      if (event === undefined) return { kind: "idle", atMs: this.nowMs };
      if (event.cancelled) continue;
      if (event.owner !== null && this.paused.has(event.owner)) {
        const list = this.held.get(event.owner) ?? [];
        list.push(event);
        this.held.set(event.owner, list);
        continue;
      }
      if (event.atMs > limits.maxSimMs) {
        this.push(event);
        return this.spent("simTime");
      }
      this.nowMs = event.atMs;
      if (this.nowMs === instantMs) {
        eventsThisInstant++;
        this.busiestInstantEvents = Math.max(this.busiestInstantEvents, eventsThisInstant);
        if (eventsThisInstant > limits.maxEventsPerInstant) return this.spent("eventsAtOneInstant");
      } else {
        instantMs = this.nowMs;
        eventsThisInstant = 0;
      }
      this.eventsRun++;
      if (this.eventsRun > limits.maxEvents) return this.spent("events");
      this.recent.push(event);
      try {
        event.fn();
      } catch (error) {
        this.onError(error, event);
      }
      await drainMicrotasks();
      onProgress?.();
    }
    return { kind: "done" };
  }

  private spent(spent: BudgetSpent): RunEnd {
    return { kind: "budget", spent, atMs: this.nowMs, events: this.eventsRun };
  }

  // A binary min-heap on (atMs, seq).
  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent] as ScheduledEvent)) break;
      heap[i] = heap[parent] as ScheduledEvent;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): ScheduledEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent) ? right : left;
      if (!before(heap[child] as ScheduledEvent, last)) break;
      heap[i] = heap[child] as ScheduledEvent;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
