/**
 * Lab 03's real-database part, `npx lab grade 03 --real-db` (design §6): the learner's producer.ts
 * in real time, against a real PostgreSQL (a server from DATABASE_URL, a container, or PGlite),
 * with processes killed at exact steps and restarted. Not a simulated part: no seeds, no replay,
 * not in the default grade. It grades producer.ts only, with L3.B's checker.
 *
 * The database is opened once (chooseDatabase prints its one line) and reset before each scenario.
 * Each scenario has a deadline (DEADLINE_MS from its start): a scenario still unsettled then is
 * `not live`, naming its pending operations and unresolved halves. The budget (30 s) counts the
 * scenarios only: PGlite's open (4.5 s from its cache, 12 to 22 s without) is printed apart.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { NotImplemented } from "#harness/lab-api.ts";
import type { RealDatabase } from "#harness/real/db.ts";
import { chooseDatabase } from "#harness/real/db-choose.ts";
import type { RealOptionsOf, RealReportOf, RealScenarioResult, RealVerdict } from "#harness/real/result.ts";
import { stoppedScenario } from "#harness/real/stopped.ts";
import { describeOp } from "#harness/workloads/history.ts";
import { TIMING } from "#labs/03-transactional-messages/provided.ts";
import { REAL_SCENARIOS, type RealScenario } from "./real-db-scenarios.ts";
import { atMost, type ProducerImpl, Stage, StageClosed, sleep } from "./real-db-stage.ts";

export type { ProducerImpl };

/** From a scenario's start: past this, it is not live. */
export const DEADLINE_MS = 3_000;
/** The scenarios' budget, the open not counted. */
export const BUDGET_MS = 30_000;
/** Once settled, this much longer for a late duplicate or a late commit to show. */
const QUIET_MS = TIMING.checkIntervalMs * 2;

export type { RealScenarioResult, RealVerdict };

export type RealDbReport = RealReportOf<RealScenarioResult>;

export type RealDbOptions = RealOptionsOf<RealScenarioResult>;

export async function runRealDbPart(impl: ProducerImpl, options: RealDbOptions = {}): Promise<RealDbReport> {
  const openedAtMs = Date.now();
  const db = options.database ?? (await chooseDatabase());
  await warmUp(db);
  const openMs = options.database === undefined ? Date.now() - openedAtMs : null;
  const startedAtMs = Date.now();
  const scenarios: RealScenarioResult[] = [];
  try {
    for (const [i, scenario] of REAL_SCENARIOS.entries()) {
      if (options.only !== undefined && !options.only.includes(i + 1)) continue;
      const result = await runScenario(impl, db, scenario, i + 1);
      scenarios.push(result);
      options.onScenario?.(result);
      // A stub fails every scenario the same way: one line says it.
      if (result.verdict === "not implemented") break;
    }
  } finally {
    if (options.database === undefined) await db.close();
  }
  return { database: db.description, openMs, scenarios, scenariosMs: Date.now() - startedAtMs };
}

/**
 * One transaction of each statement a producer uses, before the first scenario: a database's first
 * statements are slow (PGlite's WebAssembly warms up, a server's pool connects), and that time
 * belongs to the open, not to scenario 1's deadline.
 */
async function warmUp(db: RealDatabase): Promise<void> {
  const conn = db.connect("warm-up");
  await conn.transaction(async (tx) => {
    await tx.put("warm-up", "a", { state: "commit" });
    await tx.insertIfAbsent("warm-up", "a", { state: "rollback" });
    await tx.get("warm-up", "a");
  });
  await conn.transaction((tx) => tx.insert("warm-up", "a", 1)).catch(() => undefined);
  conn.kill();
  await db.reset();
}

async function runScenario(
  impl: ProducerImpl,
  db: RealDatabase,
  scenario: RealScenario,
  number: number,
): Promise<RealScenarioResult> {
  const base = { number, name: scenario.name };
  const skip = scenario.skipOn(db);
  if (skip !== null) return { ...base, verdict: "skipped", ms: 0, anomalies: [], reason: skip };
  const startedAtMs = Date.now();
  const stage = await Stage.open(db, impl);
  const deadlineAtMs = startedAtMs + DEADLINE_MS;
  const ms = () => Date.now() - startedAtMs;
  try {
    let stopped: unknown = null;
    const script = scenario.run(stage).catch((error: unknown) => {
      stopped = error;
    });
    let scriptDone = false;
    await atMost(
      script.then(() => {
        scriptDone = true;
      }),
      DEADLINE_MS,
    );
    if (stopped instanceof NotImplemented)
      return { ...base, verdict: "not implemented", ms: ms(), anomalies: [], reason: stopped.message };
    if (stopped !== null && !(stopped instanceof StageClosed)) throw stopped;
    while (!stage.settled && Date.now() < deadlineAtMs) await sleep(10);
    if (stage.settled) await sleep(Math.min(QUIET_MS, Math.max(0, deadlineAtMs - Date.now())));
    const anomalies = await stage.check();
    if (!scriptDone || !stage.settled) anomalies.push(...stuck(stage));
    return { ...base, verdict: anomalies.length === 0 ? "passed" : "failed", ms: ms(), anomalies };
  } catch (error) {
    return stoppedScenario(base, ms(), error);
  } finally {
    await stage.close();
  }
}

/** At the deadline: the operations the checker does not already name as pending. */
function stuck(stage: Stage): Anomaly[] {
  const others = stage.pendingOps().filter((op) => op.f !== "sendInTransaction");
  if (others.length === 0 && !stage.settled) return [];
  const unresolved = [...stage.record.halves.keys()].filter((o) => !stage.record.resolved.has(o));
  const words = [
    ...others.map((op) => `${op.client}: ${describeOp(op)}`),
    ...(unresolved.length > 0 ? [`halves ${unresolved.join(", ")} unresolved`] : []),
  ];
  if (words.length === 0) return [];
  return [
    anomaly(
      "not live",
      `still pending at the scenario's ${DEADLINE_MS / 1000} s deadline: ${words.join("; ")}`,
      others,
    ),
  ];
}

/** The report: the database, the open time, one line per scenario (with its anomalies), the total. */
export function realDbReportLines(report: RealDbReport, implLabel: string): string[] {
  const lines = [`lab 03, real-database part, ${implLabel}`];
  // chooseDatabase printed the database's line when this part opened it.
  if (report.openMs === null) lines.push(`business database: ${report.database}`);
  else lines.push(`opened in ${seconds(report.openMs)} (not counted in the ${seconds(BUDGET_MS)} budget)`);
  for (const s of report.scenarios) {
    const verdict =
      s.verdict === "failed"
        ? `FAILED (${[...new Set(s.anomalies.map((a) => a.name))].join(", ")})`
        : s.verdict === "skipped"
          ? "skipped"
          : s.verdict;
    lines.push(
      `  ${String(s.number).padStart(2)}. ${s.name}: ${verdict}${s.verdict === "skipped" ? "" : `, ${s.ms} ms`}`,
    );
    if (s.verdict === "skipped" || s.verdict === "not implemented") lines.push(`      ${s.reason}`);
    for (const a of s.anomalies.slice(0, 3)) lines.push(`      ${a.name}: ${a.explanation}`);
    if (s.anomalies.length > 3) lines.push(`      (${s.anomalies.length - 3} more)`);
  }
  const ran = report.scenarios.filter((s) => s.verdict !== "skipped");
  if (ran.some((s) => s.verdict === "not implemented")) {
    lines.push("the other scenarios were not run: this part grades producer.ts (L3.B) only; implement it first");
    return lines;
  }
  const passed = ran.filter((s) => s.verdict === "passed").length;
  const over = report.scenariosMs > BUDGET_MS ? `, over the ${seconds(BUDGET_MS)} budget` : "";
  lines.push(`${passed} of ${ran.length} scenarios passed in ${seconds(report.scenariosMs)}${over}`);
  return lines;
}

/** Passed: every scenario that ran passed (a skipped one does not count against it). */
export function realDbPassed(report: RealDbReport): boolean {
  return report.scenarios.every((s) => s.verdict === "passed" || s.verdict === "skipped");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
