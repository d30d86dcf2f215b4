/**
 * Every hazard in learner code earns its own verdict, never a hung or crashed grader.
 * (The synchronous infinite loop needs a worker thread and the watchdog: see harness/cli.test.ts
 * and pool.test.ts.)
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultRunLimits } from "../sim/scheduler.ts";

import { gradeInProcess } from "./in-process.ts";
import { ImplLoadError } from "./labs.ts";
import type { Verdict } from "./verdict.ts";
import { details, headline } from "./verdict.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "hazards");
/** Lab 02's producer with one sequence counter for all its queues (see its opening comment). */
const ONE_COUNTER = path.join(import.meta.dirname, "fixtures", "stops", "one-counter");

async function verdictOf(name: string): Promise<Verdict | undefined> {
  const { outcomes } = await gradeInProcess("00", path.join(FIXTURES, name), { parts: ["L0.A"], seeds: 5 });
  return outcomes.get("L0.A")?.failure?.verdict;
}

describe("hazard verdicts", () => {
  it("a promise that never settles: a deadlock, naming the call, its client and when it started", async () => {
    const verdict = await verdictOf("never-settles");
    if (verdict?.kind !== "deadlock") throw new Error(`expected a deadlock, got ${JSON.stringify(verdict)}`);
    expect(headline(verdict)).toMatch(
      /^deadlock at simulated time [\d.]+ms: nothing is left to happen, and 1 call never settled$/,
    );
    expect(verdict.pending.calls[0]).toMatchObject({ client: "client", sinceMs: 1 });
    expect(verdict.pending.calls[0]?.call).toContain('save("v1|');
    const text = details(verdict).join("\n");
    expect(text).toMatch(/never settled:\n {2}save\("v1\|[^"]*"\) on client, started at 1\.000ms/);
    // The kept trace: the last things that happened, up to the invocation that never settled.
    expect(verdict.kept.lastEvents.at(-1)).toMatch(/client op invoke save\("v1\|/);
  });

  it("a loop that never lets simulated time move: a livelock, said as such", async () => {
    const verdict = await verdictOf("livelock");
    if (verdict?.kind !== "livelock") throw new Error(`expected a livelock, got ${JSON.stringify(verdict)}`);
    expect(verdict.spent).toBe("eventsAtOneInstant");
    expect(headline(verdict)).toMatch(/events ran without simulated time moving$/);
    // Nothing reached a disk or a network: what it kept running comes from the scheduler's events.
    expect(details(verdict).join("\n")).toMatch(
      /what it did most in its last 1,000 events, from 1\.000ms:\n {2}1,000 × sleep on n1/,
    );
  });

  it("a retry that can never succeed: a livelock, stopped by the run's event budget, naming what it kept doing and the learner's warnings", async () => {
    // "Stopped within about a second" is kept by the event budget asserted here, not by a clock:
    // a timed test flakes on a shared machine (harness/sim/scheduler.ts says how it was measured).
    const verdict = await verdictOf("retry-forever");
    if (verdict?.kind !== "livelock") throw new Error(`expected a livelock, got ${JSON.stringify(verdict)}`);
    expect(verdict.spent).toBe("events");
    const budget = defaultRunLimits.maxEvents.toLocaleString("en-US");
    expect(headline(verdict)).toMatch(
      new RegExp(
        `^livelock at simulated time [\\d.]+ms: events kept coming \\(${budget}, the run's budget\\), but 1 call never completed$`,
      ),
    );
    const text = details(verdict).join("\n");
    expect(text).toMatch(/pending longest:\n {2}save\("v1\|[^"]*"\) on client, started at [\d.]+ms/);
    expect(text).toMatch(
      /what it did most in its last 5,000 trace entries, from [\d.]+ms:\n( {2}[\d,]+ × .*\n)* {2}[\d,]+ × n1 disk read register-never-written @N \+N -> ENOENT\n/,
    );
    expect(text).toMatch(
      /your code's last log lines \(env\.log\):\n {2}[\d.]+ms n1#1 warn save failed, retrying \{"attempt"/,
    );
  });

  it("lab 02's producer with one sequence counter for all queues: its liveness failure names outOfOrder and shows the learner's warnings", async () => {
    // Lab 02's workload gives sends a deadline, so this livelock ends as "not live"; either way,
    // the report must say what the run kept doing and what the learner's code said.
    const { outcomes } = await gradeInProcess("02", ONE_COUNTER, { parts: ["L2.B"], shrink: true });
    const verdict = outcomes.get("L2.B")?.failure?.verdict;
    const live = verdict?.kind === "livelock" || (verdict?.kind === "anomaly" && verdict.unfinished !== undefined);
    expect(live, JSON.stringify(verdict)).toBe(true);
    const text = verdict === undefined ? "" : details(verdict).join("\n");
    // Whichever ended it, the report says what the run was: busy, going round in circles.
    expect(text).toMatch(
      /(^|\n)(livelock|a livelock: events kept coming until the run's deadline \([\d,]+ × [^)]+\), but 1 call never completed)/,
    );
    expect(text).toMatch(/\n {2}send\(\{"key":"p1-k\d","id":"p1\/p1-k\d#\d"\}\) on p1, started at [\d.]+ms/);
    expect(text).toMatch(
      /what it did most in its last [\d,]+ trace entries, from [\d.]+ms:\n(.*\n)*? {2}[\d,]+ × p1 net reply from broker: outOfOrder/,
    );
    expect(text).toMatch(
      /your code's last log lines \(env\.log\):\n {2}[\d.]+ms p1#\d warn send out of order \{"queueId"/,
    );
  });

  it("an exception: the call that threw, the message, and the learner's own stack frames", async () => {
    const verdict = await verdictOf("throws");
    expect(verdict?.kind).toBe("exception");
    if (verdict?.kind !== "exception") return;
    expect(verdict.where).toMatch(/^save\("v1\|/);
    expect(verdict.message).toContain("TypeError");
    // The line the learner wrote, not a line of the transpiled code.
    expect(verdict.frames[0]).toMatch(/fixtures\/hazards\/throws\/register\.ts:13:\d+/);
  });

  it("a call to the real clock: a determinism verdict naming the env call to use", async () => {
    const verdict = await verdictOf("real-clock");
    expect(verdict?.kind).toBe("determinism");
    expect(verdict && headline(verdict)).toContain("env.clock.now()");
  });

  it("real time the guard cannot see reaches the disk: the self-check finds two different runs of one seed", async () => {
    expect((await verdictOf("unguarded-time"))?.kind).toBe("nondeterministic");
  });

  it("node:fs instead of env.disk: a determinism verdict naming env.disk", async () => {
    const verdict = await verdictOf("real-fs");
    expect(verdict?.kind).toBe("determinism");
    expect(verdict && headline(verdict)).toContain("fs.writeFileSync()");
    expect(verdict && headline(verdict)).toContain("env.disk");
  });

  it("state in a module-level variable does not survive a restart, and the report names the variable", async () => {
    const { outcomes } = await gradeInProcess("00", path.join(FIXTURES, "module-state"), {
      parts: ["L0.A", "L0.B"],
      seeds: 50,
    });
    // In memory it works: one incarnation, one copy of the module.
    expect(outcomes.get("L0.A")?.failure ?? null).toBeNull();
    const failure = outcomes.get("L0.B")?.failure;
    expect(failure?.verdict.kind).toBe("anomaly");
    expect(failure?.notes?.join(" ")).toContain("module-state/register.ts:7 (`let current`)");
  });

  it("a file that does not parse, or lacks an export, cannot be loaded, and says why", async () => {
    await expect(verdictOf("syntax-error")).rejects.toThrow(ImplLoadError);
    await expect(verdictOf("syntax-error")).rejects.toThrow(/register\.ts does not load: .*register\.ts:3/);
    await expect(verdictOf("missing-export")).rejects.toThrow(/must export function openRegister/);
  });
});

describe("a rejected promise nobody awaited", () => {
  // Run under tsx, as the grader's workers are: Vitest rewrites stack traces and drops the
  // `async` frames that say which function's promise it was.
  const driver = path.join(import.meta.dirname, "fixtures", "stops", "unawaited-driver.ts");
  let said: { stderr: string; handed?: string; dropped?: string } = { stderr: "" };
  beforeAll(() => {
    const run = spawnSync(process.execPath, ["--import", "tsx", driver], { encoding: "utf8", timeout: 60_000 });
    const [handed, dropped] = run.stdout.trim().split("\n");
    said = { stderr: run.stderr, handed, dropped };
  });

  it("handed to the harness: names the learner's function that made it and the harness's that dropped it", () => {
    expect(said.stderr).toBe("");
    expect(said.handed).toMatch(
      /^your code threw in the promise your work \(harness\/grade\/fixtures\/stops\/unawaited\/worker\.ts:5:\d+\) returned to harnessConsumer \(harness\/grade\/fixtures\/stops\/unawaited-driver\.ts:\d+:\d+\), which nobody awaited: Error: the downstream refused$/,
    );
  });

  it("dropped by the learner's own code: names where it was rejected, in the learner's code", () => {
    expect(said.dropped).toMatch(
      /^your code threw in a promise nobody awaited, rejected in work \(harness\/grade\/fixtures\/stops\/unawaited\/worker\.ts:5:\d+\): Error: the downstream refused$/,
    );
  });
});
