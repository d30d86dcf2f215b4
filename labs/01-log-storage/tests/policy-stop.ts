/**
 * FlushPolicy.stop's promise (provided.ts), played the way the log relies on it: once stop() has
 * been called, every acknowledge rejects, at once.
 *
 * The log stops its policy when its instance fails (a failed fsync, a disk error). An append whose
 * record was written just before the failure reaches acknowledge just after it; a policy that
 * leaves that call pending hangs the append's client for ever, and one that resolves it
 * acknowledges a record no fsync covered. The fault plans hit that instant too rarely to count on
 * (a write must complete in the microseconds after an fsync fails), so part D plays it directly:
 * a policy over a target with 100 bytes written and none durable, stop(), then acknowledge(100).
 *
 * Anomalies: "not live" (still pending 50 ms later), "wrong answer" (it resolved).
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { recordCallResult } from "#harness/workloads/call.ts";
import type { Env } from "#lab";
import type { FlushConfig, FlushPolicy, FlushTarget, LogModule } from "./api.ts";
import { checkFlushPastEnd, describeFlushPastEnd } from "./flush-past-end.ts";
import { describeLogScenario, type LogScenario, runLogWorkload } from "./log-workload.ts";

const NODE = "policy";
/** Bytes written and not yet durable when the policy stops. */
const WRITTEN_BYTES = 100;
/** How long a stopped policy's acknowledge may take to reject: far more than "at once". */
const SETTLE_MS_MAX = 50;

type Settled = "rejected" | "resolved" | "still pending";

export function describeFlushScenario(scenario: LogScenario): string[] {
  const lines = [...describeLogScenario(scenario), describeFlushPastEnd()];
  if (scenario.flush.mode === "manual") return lines;
  const name = scenario.flush.mode === "sync" ? "GroupCommit" : "AsyncFlusher";
  return [...lines, `then a new ${name} is stopped and asked to acknowledge ${WRITTEN_BYTES} bytes no fsync covered`];
}

/**
 * Part D: the log under faults; then, if nothing broke there, flushTo past the log's end
 * (flush-past-end.ts) and a stopped policy's acknowledge, each on a node of its own.
 */
export async function runFlushWorkload(ctx: TestContext<LogModule>, scenario: LogScenario): Promise<Anomaly[]> {
  const found = await runLogWorkload(ctx, scenario);
  if (found.length > 0) return found;
  const pastEnd = await checkFlushPastEnd(ctx);
  return pastEnd.length > 0 ? pastEnd : checkStoppedPolicy(ctx, scenario.flush);
}

export async function checkStoppedPolicy(ctx: TestContext<LogModule>, flush: FlushConfig): Promise<Anomaly[]> {
  if (flush.mode === "manual") return [];
  const node = ctx.world.addNode<(reason: Error) => Promise<Settled>>(NODE, async (env) => {
    const policy = policyFor(ctx.implFor(env), env, flush);
    return async (reason) => {
      policy.stop(reason);
      const acknowledged = policy.acknowledge(WRITTEN_BYTES).then(
        () => "resolved" as const,
        () => "rejected" as const,
      );
      return Promise.race([acknowledged, env.clock.sleep(SETTLE_MS_MAX).then(() => "still pending" as const)]);
    };
  });
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const name = flush.mode === "sync" ? "GroupCommit" : "AsyncFlusher";
  const result = await recordCallResult(
    ctx.history,
    node,
    (stopThenAcknowledge) => stopThenAcknowledge(new Error("the instance failed")),
    {
      client: "grader",
      f: `${name}: stop, then acknowledge`,
      input: WRITTEN_BYTES,
      onError: "fail",
      output: (settled) => settled,
    },
  );
  if (result.kind !== "ok" || result.value === "rejected") return [];
  const said = `After stop(), ${name}.acknowledge(${WRITTEN_BYTES}) (with nothing durable)`;
  const contract = "FlushPolicy.stop's contract: every later acknowledge rejects, at once";
  return result.value === "still pending"
    ? [
        anomaly(
          "not live",
          `${said} was still pending ${SETTLE_MS_MAX} ms later. The log stops its policy when an instance fails, and an append written just before reaches acknowledge just after: its client would wait for ever (${contract}).`,
          [result.op],
        ),
      ]
    : [anomaly("wrong answer", `${said} resolved: no fsync covered those bytes (${contract}).`, [result.op])];
}

/** The policy the log would build for `flush`, over a target where nothing is durable yet. */
function policyFor(impl: LogModule, env: Env, flush: Exclude<FlushConfig, { mode: "manual" }>): FlushPolicy {
  const target: FlushTarget = {
    writtenOffset: WRITTEN_BYTES,
    flushedOffset: 0,
    flushTo: () => env.clock.sleep(1),
  };
  const ignore = (): void => {};
  return flush.mode === "sync"
    ? new impl.GroupCommit(target, ignore)
    : new impl.AsyncFlusher(target, env.clock, flush.intervalMs, ignore);
}
