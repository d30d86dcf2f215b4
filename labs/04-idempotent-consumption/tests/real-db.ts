/**
 * Lab 04's real part, `npx lab grade 04 --real-db` (docs/design/lab-04.md, section 6): the
 * learner's handler.ts (L4.B), inbox.ts (L4.C) and redis-window.ts (L4.D) in real time, against a
 * real PostgreSQL (DATABASE_URL, a container, or PGlite) and a real Redis (REDIS_URL, a container,
 * or, since no embedded Redis server exists for Node, the lab's Redis model on the real clock),
 * with consumers killed at exact steps and restarted. Not a simulated part: no seeds, no replay,
 * not in the default grade. It grades with the simulated parts' effect checker.
 *
 * Both stores are opened once (each chooser prints its one line) and reset before each scenario.
 * Each scenario has a deadline (DEADLINE_MS from its start): a scenario whose queues have not
 * drained by then is `not live`. The budget (30 s) counts the scenarios only: PGlite's open is
 * printed apart, as lab 03's part does.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { NotImplemented } from "#harness/lab-api.ts";
import type { RealDatabase } from "#harness/real/db.ts";
import { chooseDatabase } from "#harness/real/db-choose.ts";
import { chooseRedis } from "#harness/real/redis-choose.ts";
import type { RealRedis } from "#harness/real/redis-real.ts";
import type {
  RealOptionsOf,
  RealReportOf,
  RealVerdict,
  RealScenarioResult as ScenarioResult,
} from "#harness/real/result.ts";
import { stoppedScenario } from "#harness/real/stopped.ts";
import { plural } from "#harness/words.ts";
import { errorText } from "#harness/workloads/call.ts";
import { type BalanceRow, TABLES, TOPIC } from "../provided.ts";
import { checkEffects } from "./check-effects.ts";
import { CUSTOMERS, REAL_SCENARIOS, type RealPart, type RealScenario } from "./real-scenarios.ts";
import { type ConsumerImpl, Stage, StageClosed, sleep } from "./real-stage.ts";

export type { ConsumerImpl };

/** From a scenario's start: past this, it is not live. */
export const DEADLINE_MS = 3_000;
/** The scenarios' budget, the opens not counted. */
export const BUDGET_MS = 30_000;
/** Once drained, this much longer for a late twin or retry to show. */
const QUIET_MS = 150;

export type { RealVerdict };

export interface RealScenarioResult extends ScenarioResult {
  part: RealPart;
}

export interface RealReport extends RealReportOf<RealScenarioResult> {
  redis: string;
}

export interface RealOptions extends RealOptionsOf<RealScenarioResult> {
  /** An open Redis to use; default: chooseRedis(), closed at the end. */
  redis?: RealRedis;
}

export async function runRealPart(impl: ConsumerImpl, options: RealOptions = {}): Promise<RealReport> {
  const openedAtMs = Date.now();
  // Redis first: a REDIS_URL that does not answer is said before PGlite's seconds of opening.
  const redis = options.redis ?? (await chooseRedis());
  let db: RealDatabase;
  try {
    db = options.database ?? (await chooseDatabase());
  } catch (error) {
    if (options.redis === undefined) await redis.close();
    throw error;
  }
  const opened = options.database === undefined || options.redis === undefined;
  const openMs = opened ? Date.now() - openedAtMs : null;
  const startedAtMs = Date.now();
  const scenarios: RealScenarioResult[] = [];
  const notImplemented = new Set<RealPart>();
  try {
    await warmUp(db);
    for (const [i, scenario] of REAL_SCENARIOS.entries()) {
      if (options.only !== undefined && !options.only.includes(i + 1)) continue;
      // A stub fails every scenario of its part the same way: one line says it.
      if (notImplemented.has(scenario.part)) continue;
      const result = await runScenario(impl, db, redis, scenario, i + 1);
      scenarios.push(result);
      options.onScenario?.(result);
      if (result.verdict === "not implemented") notImplemented.add(scenario.part);
    }
  } finally {
    if (options.database === undefined) await db.close();
    if (options.redis === undefined) await redis.close();
  }
  return {
    database: db.description,
    redis: redis.description,
    openMs,
    scenarios,
    scenariosMs: Date.now() - startedAtMs,
  };
}

/** A first transaction of each statement the handlers use: PGlite and a pool are slow at first. */
async function warmUp(db: RealDatabase): Promise<void> {
  const conn = db.connect("warm-up");
  await conn.transaction(async (tx) => {
    await tx.put("warm-up", "a", { cents: 0 });
    await tx.getForUpdate("warm-up", "a");
    await tx.insertIfAbsent("warm-up", "b", true);
    await tx.insert("warm-up", "c", true);
    await tx.get("warm-up", "a");
  });
  conn.kill();
  await db.reset();
}

async function runScenario(
  impl: ConsumerImpl,
  db: RealDatabase,
  redis: RealRedis,
  scenario: RealScenario,
  number: number,
): Promise<RealScenarioResult> {
  const base = { number, part: scenario.part, name: scenario.name };
  const skip = scenario.skipOn(db);
  if (skip !== null) return { ...base, verdict: "skipped", ms: 0, anomalies: [], reason: skip };
  const startedAtMs = Date.now();
  const deadlineAtMs = startedAtMs + DEADLINE_MS;
  const ms = () => Date.now() - startedAtMs;
  const stage = await Stage.open(db, scenario.redis ? redis : null, impl, scenario.graded, CUSTOMERS);
  try {
    let stopped: unknown = null;
    const script = scenario.run(stage).catch((error: unknown) => {
      stopped = error;
    });
    let drained = false;
    let scriptDone = false;
    void script.then(() => {
      scriptDone = true;
    });
    while (Date.now() < deadlineAtMs && stage.thrown === null && stopped === null) {
      if (scriptDone && (await stage.drained())) {
        await sleep(QUIET_MS);
        drained = await stage.drained();
        if (drained) break;
      }
      await sleep(10);
    }
    if (stopped !== null && !(stopped instanceof StageClosed)) throw stopped;
    const thrown = stage.thrown;
    if (thrown !== null) {
      const error = thrown.error;
      if (error instanceof NotImplemented)
        return { ...base, verdict: "not implemented", ms: ms(), anomalies: [], reason: error.message };
      const what = errorText(error);
      return {
        ...base,
        verdict: "failed",
        ms: ms(),
        anomalies: [],
        reason: `your code threw in the handler of ${thrown.delivery.messageId} on ${thrown.consumer}: ${what}`,
      };
    }
    const effects = checkEffects({
      sent: stage.sent,
      applications: await stage.applications(),
      balances: await db.rows<BalanceRow>(TABLES.balances),
      openingCents: 0,
    });
    if (drained) return { ...base, verdict: effects.length === 0 ? "passed" : "failed", ms: ms(), anomalies: effects };
    // Not drained: an operation not applied yet may still be on its way, so no lost write is claimed.
    const anomalies = [...effects.filter((a) => a.name !== "lost write"), await notLive(stage)];
    return { ...base, verdict: "failed", ms: ms(), anomalies };
  } catch (error) {
    return stoppedScenario(base, ms(), error);
  } finally {
    await stage.close();
  }
}

async function notLive(stage: Stage): Promise<Anomaly> {
  const stuck = (await stage.progress()).filter((q) => q.committed < q.end);
  const queues = stuck.map((q) => `${TOPIC}/${q.queueId}'s committed offset is ${q.committed} of ${q.end}`);
  return anomaly(
    "not live",
    `at the scenario's ${DEADLINE_MS / 1000} s deadline, ${queues.length > 0 ? queues.join("; ") : "a handler was still at work"}. A handler must answer "done" once the effect is durable, including when the key was already claimed`,
  );
}

/** The report: the stores, the open time, one line per scenario (with its anomalies), the total. */
export function realReportLines(report: RealReport, implLabel: string): string[] {
  const lines = [`lab 04, real part (L4.B, L4.C, L4.D), ${implLabel}`];
  // The choosers printed their lines when this part opened the stores.
  if (report.openMs === null) lines.push(`business database: ${report.database}`, `Redis: ${report.redis}`);
  else lines.push(`opened in ${seconds(report.openMs)} (not counted in the ${seconds(BUDGET_MS)} budget)`);
  for (const s of report.scenarios) {
    const names = [...new Set(s.anomalies.map((a) => a.name))];
    const verdict =
      s.verdict === "failed"
        ? `FAILED (${names.length > 0 ? names.join(", ") : "threw"})`
        : s.verdict === "skipped"
          ? "skipped"
          : s.verdict;
    lines.push(
      `  ${String(s.number).padStart(2)}. ${s.part} ${s.name}: ${verdict}${s.verdict === "skipped" ? "" : `, ${s.ms} ms`}`,
    );
    if (s.reason !== undefined) lines.push(`      ${s.reason}`);
    for (const a of s.anomalies.slice(0, 3)) lines.push(`      ${a.name}: ${a.explanation}`);
    if (s.anomalies.length > 3) lines.push(`      (${s.anomalies.length - 3} more)`);
  }
  for (const s of report.scenarios.filter((s) => s.verdict === "not implemented")) {
    const left = REAL_SCENARIOS.filter((r) => r.part === s.part).length - 1;
    if (left > 0)
      lines.push(
        `${s.part}'s other ${plural(left, "scenario")} ${left === 1 ? "was" : "were"} not run: implement it first`,
      );
  }
  const ran = report.scenarios.filter((s) => s.verdict !== "skipped");
  const passed = ran.filter((s) => s.verdict === "passed").length;
  const over = report.scenariosMs > BUDGET_MS ? `, over the ${seconds(BUDGET_MS)} budget` : "";
  lines.push(`${passed} of ${plural(ran.length, "scenario")} passed in ${seconds(report.scenariosMs)}${over}`);
  return lines;
}

/** Passed: every scenario that ran passed (a skipped one does not count against it). */
export function realPassed(report: RealReport): boolean {
  return report.scenarios.every((s) => s.verdict === "passed" || s.verdict === "skipped");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
