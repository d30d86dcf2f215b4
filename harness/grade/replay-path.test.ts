import { describe, expect, it } from "vitest";
import { findLab } from "./labs.ts";
import { replayFileName, replayPathProblem } from "./replay-path.ts";

describe("replay paths", () => {
  it("a trace file's name is short, the same every time, and differs by path and implementation", () => {
    const longPath = `${"0:".repeat(80)}1`;
    const name = replayFileName("01", "L1.D", 4, longPath, "--impl labs/01-log-storage/bugs/x");
    expect(name).toMatch(/^01-L1\.D-seed4-[0-9a-f]{8}\.log$/);
    expect(replayFileName("01", "L1.D", 4, longPath, "--impl labs/01-log-storage/bugs/x")).toBe(name);
    expect(replayFileName("01", "L1.D", 4, `${"0:".repeat(80)}2`, "--impl labs/01-log-storage/bugs/x")).not.toBe(name);
    expect(replayFileName("01", "L1.D", 4, longPath, "--solution")).not.toBe(name);
    expect(replayFileName("01", "L1.D", 4, "0", "")).toBe("01-L1.D-seed4.log");
  });

  it("accepts the paths of a seed's shrink tree and refuses the others, without running anything", async () => {
    const lab = await findLab("00");
    const part = lab.manifest.parts[1];
    if (part === undefined) throw new Error("lab 00 has no second part");
    expect(replayPathProblem(part, 1, "0")).toBeNull();
    expect(replayPathProblem(part, 1, "0:5")).toBeNull();
    expect(replayPathProblem(part, 1, "0:-1")).toMatch(/non-negative whole numbers/);
    expect(replayPathProblem(part, 1, "2:5")).toMatch(/start with 0/);
    expect(replayPathProblem(part, 1, "0:100000")).toMatch(/names no scenario of L0\.B seed 1/);
  });
});
