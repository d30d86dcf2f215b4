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
import type { SimNode } from "#harness/sim/node.ts";
import { formatMs } from "#harness/sim/trace.ts";
import type { World } from "#harness/sim/world.ts";
import { recordCallResult } from "#harness/workloads/call.ts";
import type { History } from "#harness/workloads/history.ts";
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

export function recoveryCrashesEndMs(events: readonly RecoveryCrash[]): number {
  return Math.max(0, ...events.map((e) => e.atMs + e.downMs + e.delayMs + 1));
}

/** What the workload saw of the node's life: when each incarnation booted and how each ended. */
export class NodeLife {
  readonly boots: Array<{ incarnation: number; atMs: number }> = [];
  private node: SimNode<unknown> | null = null;
  /** Clean restarts under way: the final reads wait for them. */
  restartsUnderWay = 0;

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

function restart(world: World, node: SimNode<MessageLog>, history: History, why: string, done = () => {}): void {
  if (node.isUp) {
    done();
    return;
  }
  history.nemesis(`${node.id} restarts${why}`);
  void node.start().then((outcome) => {
    done();
    if (outcome.kind === "error") world.reportLabError(outcome.error, `restarting ${node.id}`);
  });
}

function cut(node: SimNode<MessageLog>, kind: "crash" | "powerLoss"): void {
  if (kind === "crash") node.crash();
  else node.powerLoss();
}

export function scheduleRecoveryCrashes(
  world: World,
  node: SimNode<MessageLog>,
  history: History,
  life: NodeLife,
  events: readonly RecoveryCrash[],
): void {
  for (const event of events) {
    world.at(Math.max(world.nowMs, event.atMs), "crash before a recovery", () => {
      if (!node.isUp) return;
      history.nemesis(
        `${node.id} ${event.first === "crash" ? "crashes (process killed)" : "loses power (unsynced writes may be lost, torn or reordered)"}`,
      );
      cut(node, event.first);
      world.at(world.nowMs + event.downMs, "restart", () => {
        if (node.isUp) return;
        restart(world, node, history, ": its recovery begins");
        world.at(world.nowMs + event.delayMs, "crash during recovery", () => {
          if (!node.isUp) return;
          const during = life.isBooted(node) ? "just after its recovery finished" : "in the middle of its recovery";
          history.nemesis(
            `${node.id} ${event.second === "crash" ? "crashes" : "loses power"} again ${event.delayMs} ms into the restart, ${during}`,
          );
          cut(node, event.second);
          world.at(world.nowMs + 1, "restart", () => restart(world, node, history, " and recovers again"));
        });
      });
    });
  }
}

/**
 * At each time, if the node is up and booted, the operator closes the log, stops the process, and
 * starts it again. The close is an operation of its own client, "operator", in the history.
 */
export function scheduleCleanRestarts(
  world: World,
  node: SimNode<MessageLog>,
  history: History,
  life: NodeLife,
  times: readonly number[],
  closes: Array<{ op: import("#harness/workloads/history.ts").Op }>,
): void {
  for (const atMs of times) {
    world.at(Math.max(world.nowMs, atMs), "clean restart", () => {
      if (!life.isBooted(node)) return;
      const incarnation = node.incarnation;
      life.restartsUnderWay++;
      const done = () => {
        life.restartsUnderWay--;
      };
      history.nemesis(`the operator shuts ${node.id} down cleanly (close()) and starts it again`);
      void recordCallResult(history, node, (log) => log.close(), {
        client: "operator",
        f: "close",
        input: undefined,
        onError: "info",
        keepOutput: false,
      }).then((result) => {
        closes.push({ op: result.op });
        if (node.incarnation !== incarnation || !node.isUp) {
          done();
          return;
        }
        node.crash();
        world.at(world.nowMs + 0.5, "restart", () =>
          restart(world, node, history, ` after a clean shutdown (at ${formatMs(world.nowMs)})`, done),
        );
      });
    });
  }
}
