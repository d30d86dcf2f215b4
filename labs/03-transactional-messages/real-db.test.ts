/**
 * Lab 03's real-database part (`npx lab grade 03 --real-db`, tests/real-db.ts) on PGlite, always,
 * and on the PostgreSQL server at LAB_TEST_DATABASE_URL (default: this machine's own,
 * 127.0.0.1:5432/test), skipped with one line where nothing answers there. PGlite is opened through
 * the chooser's own fallback path (no DATABASE_URL, and a runtime probe that answers "none", so
 * that this file never starts a container).
 *
 * What it shows: the reference solution passes every scenario that runs; two zoo entries fail
 * where they honestly do; and one entry the real part cannot catch, with the reason.
 */
import { describe, expect, it } from "vitest";
import { loadLab, loadSolutionOrBug } from "#harness/grade/labs.ts";
import { scenarioVerdicts } from "#harness/real/result.ts";
import {
  checkServer,
  databaseForBlock,
  openFallbackPglite,
  openServerSchema,
  SERVER_URL,
} from "#harness/real/test-server.ts";
import { type RealDbReport, realDbPassed, realDbReportLines, runRealDbPart } from "./tests/real-db.ts";
import { asProducerImpl } from "./tests/real-db-cli.ts";
import type { ProducerImpl } from "./tests/real-db-stage.ts";

const lab = await loadLab("03-transactional-messages");

async function implOf(bug: string | null) {
  return asProducerImpl(await loadSolutionOrBug(lab, bug));
}

/** "1 passed" to "`last` passed". */
function passedUpTo(last: number): string[] {
  return Array.from({ length: last }, (_, i) => `${i + 1} passed`);
}

/** On failure, the whole report: which scenario, and why. */
function explained(report: RealDbReport): string {
  return realDbReportLines(report, "under test").join("\n");
}

const serverProblem = await checkServer("lab 03's real-database part on the PostgreSQL server");

describe("lab 03's real-database part, on PGlite", () => {
  const db = databaseForBlock(openFallbackPglite);

  it("the solution passes scenarios 1 to 7; scenario 8 is skipped, saying why", async () => {
    const report = await runRealDbPart(await implOf(null), { database: db() });
    expect(db().kind).toBe("pglite");
    expect(scenarioVerdicts(report), explained(report)).toEqual([...passedUpTo(7), "8 skipped"]);
    expect(report.scenarios[7]?.reason).toMatch(/PGlite runs one transaction at a time/);
    expect(realDbPassed(report)).toBe(true);
    for (const s of report.scenarios) expect(s.ms, s.name).toBeLessThan(3_000);
  }, 60_000);

  it("answer-check-from-memory loses the write in scenario 4 (restarted, it knows nothing) and in 7 (p2 never knew)", async () => {
    const report = await runRealDbPart(await implOf("answer-check-from-memory"), { database: db() });
    expect(scenarioVerdicts(report), explained(report)).toEqual([
      "1 passed",
      "2 passed",
      // Killed after the half, before the local transaction: "rollback" from an empty memory is
      // right by luck.
      "3 passed",
      "4 failed: lost write",
      "5 passed",
      "6 passed",
      "7 failed: lost write",
      "8 skipped",
    ]);
    expect(realDbPassed(report)).toBe(false);
  }, 60_000);

  it("a producer whose call never returns is not live at the 3 s deadline, and the report names the call", async () => {
    const hanging: ProducerImpl = {
      fresh: () => ({
        openTransactionalProducer: async () => ({ sendInTransaction: () => new Promise<never>(() => {}) }),
      }),
    };
    const report = await runRealDbPart(hanging, { database: db(), only: [1] });
    expect(scenarioVerdicts(report)).toEqual(["1 failed: not live"]);
    const [scenario] = report.scenarios;
    expect(scenario?.ms).toBeGreaterThanOrEqual(3_000);
    expect(scenario?.anomalies[0]?.explanation).toMatch(/sendInTransaction\(.*p1#1.*never completed/);
  }, 60_000);

  // unknown-means-rollback turns CommitOutcomeUnknown (COMMIT sent, no reply) into a rollback.
  // Catching it needs a commit whose reply is lost: the simulation injects that
  // (dbLoseCommitReplies, and L3.B catches the entry with "lost write"), but PGlite runs in this
  // process and never loses a reply, and a server would need its network cut at the exact moment
  // of a COMMIT. So the real part cannot catch it, and this test says so by showing it pass here:
  // it is graded in the simulation only.
  it("unknown-means-rollback passes here: no real run loses a commit reply, so it is graded in the simulation only", async () => {
    const report = await runRealDbPart(await implOf("unknown-means-rollback"), { database: db(), only: [1, 4, 7] });
    expect(scenarioVerdicts(report), explained(report)).toEqual(["1 passed", "4 passed", "7 passed"]);
  }, 60_000);
});

describe.skipIf(serverProblem !== null)(
  `lab 03's real-database part, on the PostgreSQL server at ${SERVER_URL}`,
  () => {
    const db = databaseForBlock(() => openServerSchema("lab_real03"), 60_000);

    it("the solution passes all eight scenarios, the race of scenario 8 included", async () => {
      const report = await runRealDbPart(await implOf(null), { database: db() });
      expect(scenarioVerdicts(report), explained(report)).toEqual(passedUpTo(8));
    }, 60_000);

    it("check-reads-absent-as-rollback: the check reads 'no outcome yet' while p1's local transaction is open, answers rollback, and p1 then commits", async () => {
      const report = await runRealDbPart(await implOf("check-reads-absent-as-rollback"), { database: db(), only: [8] });
      expect(scenarioVerdicts(report), explained(report)).toEqual(["8 failed: conflicting outcomes, lost write"]);
    }, 60_000);
  },
);
