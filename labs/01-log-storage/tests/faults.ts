/**
 * Faults this lab adds to the harness's fault plans, and what the workload observes of the world.
 *
 * A crash during recovery: the plan's crash and power-loss events restart the node after a delay,
 * and recovery runs at that restart, but nothing in a plan can aim at the few milliseconds that
 * recovery takes. A `RecoveryCrash` does: it cuts the node (a crash or a power loss), restarts it,
 * and cuts it again `delayMs` into the new incarnation, while its recovery is still running. Each
 * event is self-contained, so fast-check can shrink a list of them like any plan.
 *
 * A clean restart: the operator closes the log, stops the process and starts it again. The next
 * start must believe the files as they are, without a scan.
 */
import fc from "fast-check";
import type { ActiveFaults } from "#harness/faults/apply.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { World } from "#harness/sim/world.ts";
import { recordCallResult } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { MessageLog } from "./api.ts";

export interface RecoveryCrash {
  atMs: number;
  /** The first cut: a process crash, or a power loss. */
  first: "crash" | "powerLoss";
  /** How long the node stays down before the restart whose recovery is cut. */
  downMs: number;
  /** How far into the new incarnation (its recovery) the second cut lands. */
  delayMs: number;
  second: "crash" | "powerLoss";
}

export function recoveryCrashArb(windowMs: number): fc.Arbitrary<RecoveryCrash> {
  const cut = fc.constantFrom("crash" as const, "powerLoss" as const);
  return fc.record({
    atMs: fc.integer({ min: 0, max: windowMs - 1 }),
    first: cut,
    downMs: fc.integer({ min: 1, max: 10 }),
    delayMs: fc.integer({ min: 1, max: 60 }).map((n) => n / 20),
    second: cut,
  });
}

export function describeRecoveryCrash(event: RecoveryCrash): string {
  const cut = (kind: "crash" | "powerLoss") => (kind === "crash" ? "crashes" : "loses power");
  return (
    `${`at ${event.atMs} ms`.padEnd(12)} n1 ${cut(event.first)}, restarts ${event.downMs} ms later, ` +
    `and ${cut(event.second)} again ${event.delayMs} ms into that restart (during its recovery), restarting 1 ms later`
  );
}

/** What the workload saw of the node's life: when each incarnation booted and how each ended. */
export class NodeLife {
  readonly boots: Array<{ incarnation: number; atMs: number }> = [];
  private node: SimNode<unknown> | null = null;

  constructor(private readonly world: World) {}

  booted(incarnation: number): void {
    this.boots.push({ incarnation, atMs: this.world.nowMs });
  }

  /** Whether the node's current incarnation has finished booting. */
  isBooted(node: SimNode<unknown>): boolean {
    const number = node.incarnation?.number;
    return node.isUp && this.boots.some((b) => b.incarnation === number);
  }

  /** Follows `node`'s deaths (the world records them; this reads the world, never the lab's code). */
  watch(node: SimNode<unknown>): void {
    this.node = node;
  }

  /** When each incarnation died, and whether by power loss. */
  get deaths(): Array<{ atMs: number; power: boolean }> {
    return (this.node?.deaths ?? []).map((d) => ({ atMs: d.atMs, power: d.reason === "power loss" }));
  }
}

/** A clean restart: the process is started again this long after it stopped. */
const CLEAN_RESTART_DOWN_MS = 0.5;
/** How long a lab fault waits for the node to be up (or booted) before it is called off. */
const WAIT_FOR_NODE_MS_MAX = 5_000;

/**
 * Runs `fn` once `ready()` holds, checking every millisecond from now; `late` says whether it had
 * to wait. After WAIT_FOR_NODE_MS_MAX it gives up and runs `never` instead, so a node that never
 * comes back cannot keep a run going for ever.
 */
function whenReady(
  world: World,
  ready: () => boolean,
  fn: (late: boolean) => void,
  never: () => void,
  waitedMs = 0,
): void {
  if (ready()) fn(waitedMs > 0);
  else if (waitedMs >= WAIT_FOR_NODE_MS_MAX) never();
  else world.at(world.nowMs + 1, "wait for the node", () => whenReady(world, ready, fn, never, waitedMs + 1));
}

function cut(node: SimNode<MessageLog>, kind: "crash" | "powerLoss"): void {
  if (kind === "crash") node.crash();
  else node.powerLoss();
}

function cutWords(kind: "crash" | "powerLoss"): string {
  return kind === "crash" ? "crashes (process killed)" : "loses power (unsynced writes may be lost, torn or reordered)";
}

/**
 * Schedules each recovery crash at its time, counted from the plan's start like the plan's own
 * events. Each is an outage of the plan (`faults.healed()` waits for it), and happens in full: when
 * its moment finds the node down, it waits for the node to be up, and says so in the timeline.
 */
export function scheduleRecoveryCrashes(
  faults: ActiveFaults,
  node: SimNode<MessageLog>,
  life: NodeLife,
  events: readonly RecoveryCrash[],
): void {
  const { world } = faults;
  for (const event of events) {
    const over = faults.begin();
    const calledOff = (what: string) => () => {
      faults.note(`${what}: ${node.id} was not up for ${WAIT_FOR_NODE_MS_MAX} ms`);
      over();
    };
    world.at(faults.startMs + event.atMs, "crash before a recovery", () =>
      whenReady(
        world,
        () => node.isUp,
        (late) => {
          const due = late ? ` (due at ${event.atMs} ms, when ${node.id} was down)` : "";
          faults.note(`${node.id} ${cutWords(event.first)}${due}, restarts ${event.downMs} ms later`);
          cut(node, event.first);
          faults.restart(node, event.downMs);
          // The second cut lands delayMs into the incarnation that restart (or the supervisor's next try) starts.
          world.at(world.nowMs + event.downMs, "wait for the restart", () =>
            whenReady(
              world,
              () => node.isUp,
              () =>
                world.at(world.nowMs + event.delayMs, "crash during recovery", () =>
                  cutAgain(faults, node, life, event, over),
                ),
              calledOff("the crash during recovery is called off"),
            ),
          );
        },
        calledOff(`the crash due at ${event.atMs} ms is called off`),
      ),
    );
  }
}

function cutAgain(
  faults: ActiveFaults,
  node: SimNode<MessageLog>,
  life: NodeLife,
  event: RecoveryCrash,
  over: () => void,
): void {
  if (!node.isUp) {
    // Something else cut it first: the next incarnation's recovery is the one to cut.
    faults.note(`${node.id} is down already: its next start's recovery is cut instead`);
    faults.world.at(faults.world.nowMs + 1, "wait for the restart", () =>
      whenReady(
        faults.world,
        () => node.isUp,
        () =>
          faults.world.at(faults.world.nowMs + event.delayMs, "crash during recovery", () =>
            cutAgain(faults, node, life, event, over),
          ),
        () => over(),
      ),
    );
    return;
  }
  const during = life.isBooted(node) ? "just after its recovery finished" : "in the middle of its recovery";
  faults.note(
    `${node.id} ${event.second === "crash" ? "crashes" : "loses power"} again ${event.delayMs} ms into the restart, ${during}, restarting 1 ms later`,
  );
  cut(node, event.second);
  faults.restart(node, 1);
  over();
}

/**
 * At each time (counted from the plan's start), the operator closes the log, stops the process and
 * starts it again. The close is an operation of its own client, "operator", in the history. When
 * the moment finds the node down or still starting, the operator waits until it is up and booted.
 */
export function scheduleCleanRestarts(
  faults: ActiveFaults,
  node: SimNode<MessageLog>,
  life: NodeLife,
  times: readonly number[],
  closes: Array<{ op: Op }>,
): void {
  const { world, history } = faults;
  for (const atMs of times) {
    const over = faults.begin();
    world.at(faults.startMs + atMs, "clean restart", () =>
      whenReady(
        world,
        () => life.isBooted(node),
        (late) => {
          const incarnation = node.incarnation;
          const due = late ? ` (due at ${atMs} ms, when ${node.id} was down or starting)` : "";
          faults.note(`the operator shuts ${node.id} down cleanly (close()) and starts it again${due}`);
          void recordCallResult(history, node, (log) => log.close(), {
            client: "operator",
            f: "close",
            onError: "info",
            keepOutput: false,
          }).then((result) => {
            closes.push({ op: result.op });
            // A fault that struck during the close already stopped this incarnation.
            if (node.incarnation === incarnation && node.isUp) {
              node.crash();
              faults.restart(node, CLEAN_RESTART_DOWN_MS);
            }
            over();
          });
        },
        () => {
          faults.note(`the operator's clean restart due at ${atMs} ms is called off: ${node.id} was not up`);
          over();
        },
      ),
    );
  }
}
