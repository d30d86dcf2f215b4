/**
 * Every hazard in learner code earns its own verdict, never a hung or crashed grader.
 * (The synchronous infinite loop needs a worker thread and the watchdog: see harness/cli.test.ts.)
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { gradeInProcess } from "./in-process.ts";
import { ImplLoadError } from "./labs.ts";
import type { Verdict } from "./verdict.ts";
import { headline } from "./verdict.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "hazards");

async function verdictOf(name: string): Promise<Verdict | undefined> {
  const { outcomes } = await gradeInProcess("00", path.join(FIXTURES, name), { parts: ["L0.A"], seeds: 5 });
  return outcomes.get("L0.A")?.failure?.verdict;
}

describe("hazard verdicts", () => {
  it("a promise that never settles: stuck, naming the pending call", async () => {
    const verdict = await verdictOf("never-settles");
    expect(verdict?.kind).toBe("stuck");
    expect(verdict?.kind === "stuck" && verdict.waitingOn[0]).toContain('save("v1|');
  });

  it("a loop that never lets simulated time move: livelock", async () => {
    expect((await verdictOf("livelock"))?.kind).toBe("livelock");
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
