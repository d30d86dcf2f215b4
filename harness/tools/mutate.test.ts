/**
 * `npm run mutate`'s command line: a mistake answers with one line and exit code 2, before
 * Stryker starts; and the list of equivalent mutants in a lab's mutants.md reads back exactly
 * what the tool prints for a survivor. (The mutation runs themselves are a benchmark, not a test.)
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { formatSurvivor, listedEquivalents, type MutatePlan, main, type Survivor, triage } from "./mutate.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Runs the command in this process, with a Stryker that must never be reached. */
async function mutate(...args: string[]) {
  const errors: string[] = [];
  vi.spyOn(console, "error").mockImplementation((...parts: unknown[]) => void errors.push(parts.join(" ")));
  const run = vi.fn(async (_plan: MutatePlan) => 0);
  const code = await main(args, run);
  return { code, errors, strykerStarted: run.mock.calls.length > 0, plan: run.mock.calls[0] };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("npm run mutate -- NN [FILE]", () => {
  it.each([
    [["99"], /^mutate: unknown lab '99': the labs are 00, 01/],
    [[], /^mutate: which lab\? usage: npm run mutate -- NN \[FILE/],
    [
      ["00", "nope.ts"],
      /^mutate: 'nope.ts' is not a file of labs\/00-durable-register\/solution\/: its files are register.ts$/,
    ],
    [["00", "../lab.ts"], /is not a file of labs\/00-durable-register\/solution\//],
    [["00", "labs/00-durable-register/src/register.ts"], /is not a file of labs\/00-durable-register\/solution\//],
    [["00", "register.ts", "more.ts"], /^mutate: one FILE at most/],
    [["00", "--concurrency", "0"], /^mutate: --concurrency 0: a whole number from 1 to 8$/],
    [["00", "--frob"], /^mutate: unknown option --frob; usage:/],
    [["00", "register.ts:9-3"], /^mutate: 'register.ts:9-3': lines run from 1 up/],
    [["00", "--timeout-factor", "0.5"], /^mutate: --timeout-factor 0.5: a number from 1 to 100$/],
  ])("%j: one line, exit 2, Stryker never starts", async (args, message) => {
    const run = await mutate(...args);
    expect(run.code).toBe(2);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(run.strykerStarted).toBe(false);
  });

  it("finds the lab by number and the file by name or by path", async () => {
    const byName = await mutate("1", "record.ts", "--concurrency", "1");
    const byPath = await mutate("01", "labs/01-log-storage/solution/record.ts");
    expect(byName.code).toBe(0);
    expect(byName.plan?.[0]).toMatchObject({
      slug: "01-log-storage",
      files: ["labs/01-log-storage/solution/record.ts"],
    });
    expect(byPath.plan?.[0]?.files).toEqual(["labs/01-log-storage/solution/record.ts"]);
    expect(byPath.plan?.[0]?.lines).toBeNull();
  });

  it("takes a range of lines, to look at a few mutants again", async () => {
    const one = await mutate("02", "consumer.ts:115", "--timeout-factor", "20");
    const range = await mutate("02", "consumer.ts:110-120");
    expect(one.plan?.[0]).toMatchObject({ lines: { from: 115, to: 115 }, timeoutFactor: 20 });
    expect(range.plan?.[0]?.lines).toEqual({ from: 110, to: 120 });
    expect(range.plan?.[0]?.files).toEqual(["labs/02-ordered-messages/solution/consumer.ts"]);
  });

  it("as a process: exit code 2 and one line on stderr", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "harness/tools/mutate.ts", "00", "nope.ts"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});

describe("mutants.md", () => {
  const survivor = (overrides: Partial<Survivor>): Survivor => ({
    file: "register.ts",
    line: 58,
    mutator: "StringLiteral",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: "`corrupt: ${reason}`",
    replacement: "``",
    status: "Survived",
    ...overrides,
  });

  it("reads back what the tool prints, backticks and all", () => {
    const printed = [survivor({}), survivor({ line: 81, original: '"saved"', replacement: '""' })];
    const markdown = printed.map((s) => `${formatSurvivor(s)}: only the message changes.`).join("\n");
    expect(listedEquivalents(markdown)).toEqual(printed.map((s) => ({ ...s, status: "listed" })));
  });

  it("matches by file, mutator and code, not by line, each entry once", () => {
    const listed = [survivor({ line: 50, status: "listed" })];
    const moved = survivor({ line: 60 });
    const twin = survivor({ line: 90 });
    const other = survivor({ replacement: '"Stryker was here!"' });
    const { equivalent, unexplained, stale } = triage([moved, twin, other], listed);
    expect(equivalent).toEqual([moved]);
    expect(unexplained).toEqual([twin, other]);
    expect(stale).toEqual([]);
  });

  it("gives each entry to the survivor on the nearest line, whatever the order", () => {
    const gap = survivor({ line: 83, mutator: "BooleanLiteral", original: "true", replacement: "false" });
    const equivalent = { ...gap, line: 122 };
    const { unexplained } = triage([gap, equivalent], [{ ...equivalent, line: 120, status: "listed" }]);
    expect(unexplained).toEqual([gap]);
  });
});
