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
 */

import { invariant } from "./invariant.ts";

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

/** Why `run` returned. */
export type RunEnd =
  | { kind: "done" }
  | { kind: "idle"; atMs: number }
  | { kind: "timeLimit"; atMs: number }
  | { kind: "eventLimit"; atMs: number; events: number }
  | { kind: "livelock"; atMs: number; events: number; lastLabel: string };

export interface RunLimits {
  /** Stop when simulated time would pass this. */
  maxSimMs: number;
  /** Stop after this many events in all. */
  maxEvents: number;
  /** Stop when this many events run without simulated time moving (a loop that never yields time). */
  maxEventsPerInstant: number;
}

export const defaultRunLimits: RunLimits = {
  maxSimMs: 24 * 60 * 60 * 1000,
  maxEvents: 5_000_000,
  maxEventsPerInstant: 200_000,
};

export class Scheduler {
  /** Current simulated time, in milliseconds since the run began. */
  nowMs = 0;
  /** Events run so far. */
  eventsRun = 0;
  private readonly heap: ScheduledEvent[] = [];
  private nextSeq = 0;
  private readonly paused = new Set<string>();
  private readonly held = new Map<string, ScheduledEvent[]>();

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

  /** Number of events waiting (including cancelled ones not yet discarded). */
  get pendingCount(): number {
    return this.heap.length;
  }

  /**
   * Runs events until `isDone()` holds after an event, the queue is empty, or a limit is hit.
   */
  async run(isDone: () => boolean, limits: RunLimits = defaultRunLimits): Promise<RunEnd> {
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
        return { kind: "timeLimit", atMs: this.nowMs };
      }
      this.nowMs = event.atMs;
      if (this.nowMs === instantMs) {
        eventsThisInstant++;
        if (eventsThisInstant > limits.maxEventsPerInstant) {
          return { kind: "livelock", atMs: this.nowMs, events: eventsThisInstant, lastLabel: event.label };
        }
      } else {
        instantMs = this.nowMs;
        eventsThisInstant = 0;
      }
      this.eventsRun++;
      if (this.eventsRun > limits.maxEvents) {
        return { kind: "eventLimit", atMs: this.nowMs, events: this.eventsRun };
      }
      try {
        event.fn();
      } catch (error) {
        this.onError(error, event);
      }
      await drainMicrotasks();
    }
    return { kind: "done" };
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
