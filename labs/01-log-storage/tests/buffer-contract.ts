/**
 * Part L1.H, the write buffer on its own: the grader appends to one file through your
 * BufferedDisk, reads back and asks its size, fsyncs now and then, and ends with a fault:
 *
 *   crash              the process dies: its buffer is gone, the page cache is not. The file must
 *                      hold a prefix of what was written, and at least what an fsync covered.
 *   power loss         the machine dies: what an fsync covered must be there.
 *   power in a flush   two fsyncs called back to back; the power goes the moment the second one
 *                      resolves, while the first may still run. The second promised every byte
 *                      written before it was called, whoever carried those bytes to the file.
 *
 * The grader reads the file back through the disk itself, never through your class. Before
 * these steps, buffer-as-disk.ts drives the same BufferedDisk through overwrites, holes,
 * truncates, renames and unlinks on other files, with no fault, and compares every answer with a
 * plain disk. Throughout, no write call beneath the buffer may carry more than capacityBytes
 * (but a single larger write handed straight down), and the grader reuses each array it handed
 * to write() as soon as the call resolved.
 *
 * Anomalies:
 *   wrong answer  read("f", 300, 200) returned other bytes than were written there (bytes still in
 *                 the buffer must be readable); size("f") said 512 after 700 bytes were written
 *   lost write    fsync("f") resolved after 700 bytes were written; after a power loss the file holds 512
 *   garbage read  after a crash the file holds bytes at 600 that were never written there
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { isProgrammingError, rethrowFrom } from "#harness/grade/verdict.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { errorText } from "#harness/workloads/call.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { Disk, Env } from "#lab";
import type { LogModule } from "./api.ts";
import {
  type DiskStep,
  describeDiskSteps,
  diskStepsArb,
  oversizedWriteCall,
  REUSED_HINT,
  runDiskSteps,
  SCRIBBLE,
  WriteCallRecorder,
} from "./buffer-as-disk.ts";

export type ContractStep =
  | { kind: "write"; bytes: number }
  | { kind: "read"; at: number; length: number }
  | { kind: "size" }
  | { kind: "fsync" };

export interface ContractScenario {
  capacityBytes: number;
  /** Calls on other files first, compared with a plain disk (buffer-as-disk.ts). */
  asDisk: DiskStep[];
  steps: ContractStep[];
  end: "crash" | "power loss" | "power in a flush";
}

const FILE = "f";

export const contractScenarioArb: fc.Arbitrary<ContractScenario> = fc.record({
  capacityBytes: fc.constantFrom(64, 300, 1024),
  asDisk: diskStepsArb,
  steps: fc.array(
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({ kind: fc.constant("write" as const), bytes: fc.integer({ min: 1, max: 400 }) }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant("read" as const),
          at: fc.integer({ min: 0, max: 1_000_000 }),
          length: fc.integer({ min: 1, max: 700 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "size" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "fsync" as const }) },
    ),
    { minLength: 4, maxLength: 30 },
  ),
  end: fc.constantFrom("crash" as const, "power loss" as const, "power in a flush" as const),
});

export function describeContractScenario(scenario: ContractScenario): string[] {
  const count = (kind: ContractStep["kind"]) => scenario.steps.filter((s) => s.kind === kind).length;
  const asDisk = describeDiskSteps(scenario.asDisk);
  return [
    `at the end    ${scenario.end === "power in a flush" ? "two fsyncs back to back; the power goes when the second resolves" : `a ${scenario.end}`}`,
    `workload: your BufferedDisk with a buffer of ${scenario.capacityBytes} bytes; ${counted(count("write"), "append")} to one file, ${counted(count("read"), "read")}, ${counted(count("size"), "size call")}, ${counted(count("fsync"), "fsync")}, in one sequence; then the file is read back from the disk itself`,
    ...(asDisk === "" ? [] : [`before that   ${asDisk}`]),
  ];
}

function counted(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}

function bytes(n: number): string {
  return n === 1 ? "1 byte" : `${n} bytes`;
}

function endText(end: ContractScenario["end"]): string {
  return end === "power in a flush" ? "power loss (the first fsync still running)" : end;
}

/** The byte the grader writes at `offset`: any byte, told apart from its neighbours. */
function byteAt(offset: number): number {
  return (offset * 7 + (offset >> 8) * 13 + 1) & 0xff;
}

interface Api {
  env: Env;
  disk: Disk;
  /** The disk beneath the learner's BufferedDisk, counting its write calls. */
  beneath: WriteCallRecorder;
}

export async function runContractWorkload(ctx: TestContext<LogModule>, scenario: ContractScenario): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const node = world.addNode<Api>("n1", async (env) => {
    if (!(await env.disk.exists(FILE))) {
      await env.disk.create(FILE);
      await env.disk.fsyncDir("");
    }
    const beneath = new WriteCallRecorder(env.disk);
    return { env, beneath, disk: new (ctx.implFor(env).BufferedDisk)(beneath, scenario.capacityBytes) };
  });
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  let written = 0;
  let durable = 0;
  let durableOp: Op | null = null;
  const call = async <T>(f: string, input: string, body: (disk: Disk) => Promise<T>, show: (value: T) => string) => {
    const op = history.invoke("writer", f, input);
    const outcome = await node.invoke((api) => body(api.disk));
    if (outcome.kind === "ok") {
      history.complete(op, "ok", { output: show(outcome.value) });
      return { op, value: outcome.value };
    }
    if (outcome.kind === "error" && isProgrammingError(outcome.error)) rethrowFrom(`${f}(${input})`, outcome.error);
    history.complete(op, "fail", { note: outcome.kind === "error" ? errorText(outcome.error) : outcome.kind });
    return { op, value: null };
  };
  const fail = (op: Op, text: string) => [anomaly("wrong answer", text, [op])];
  const opened = await node.invoke((api) => api.beneath);
  if (opened.kind !== "ok") throw new Error(`the grader could not reach n1 after it started: ${opened.kind}`);
  const beneath = opened.value;

  const asDisk = await runDiskSteps(scenario.asDisk, scenario.capacityBytes, { call }, beneath, history);
  if (asDisk.length > 0) return asDisk;
  const handedIn: Array<{ path: string; offset: number; length: number }> = [];

  for (const step of scenario.steps) {
    if (step.kind === "write") {
      const data = Uint8Array.from({ length: step.bytes }, (_, k) => byteAt(written + k));
      const at = written;
      const before = beneath.writes.length;
      handedIn.push({ path: FILE, offset: at, length: step.bytes });
      const { op, value } = await call(
        "write",
        `${FILE}, ${at}, ${bytes(step.bytes)}`,
        (d) => d.write(FILE, at, data).then(() => true),
        () => "ok",
      );
      if (value === null)
        return fail(op, `write("${FILE}", ${at}, ${step.bytes} bytes) failed with no fault on the disk.`);
      data.fill(SCRIBBLE); // the caller reuses its array at once
      written += step.bytes;
      const oversized = oversizedWriteCall(beneath, before, scenario.capacityBytes, handedIn);
      if (oversized !== null) return fail(op, oversized);
    } else if (step.kind === "read") {
      if (written === 0) continue;
      const at = step.at % written;
      const { op, value } = await call(
        "read",
        `${FILE}, ${at}, ${step.length}`,
        (d) => d.read(FILE, at, step.length),
        (v) => `${v.length} bytes`,
      );
      const want = Math.min(step.length, written - at);
      const wrong = value === null ? -1 : firstWrong(value, at, want);
      if (value === null || value.length !== want || wrong >= 0) {
        return fail(
          op,
          `read("${FILE}", ${at}, ${step.length}) after ${bytes(written)} had been written ` +
            (value === null
              ? "failed"
              : value.length !== want
                ? `returned ${bytes(value.length)}, not ${want}`
                : `returned other bytes than were written at ${at + wrong}${value[wrong] === SCRIBBLE ? REUSED_HINT : ""}`) +
            ` (buffer of ${scenario.capacityBytes} bytes). A read sees every byte written before it, in the buffer or in the file.`,
        );
      }
    } else if (step.kind === "size") {
      const { op, value } = await call("size", FILE, (d) => d.size(FILE), String);
      if (value !== written)
        return fail(
          op,
          `size("${FILE}") said ${value ?? "nothing"} after ${bytes(written)} had been written: the size counts the buffered bytes too.`,
        );
    } else {
      const covers = written;
      const { op, value } = await call(
        "fsync",
        FILE,
        (d) => d.fsync(FILE).then(() => true),
        () => "ok",
      );
      if (value === null) return fail(op, `fsync("${FILE}") failed with no fault on the disk.`);
      durable = covers;
      durableOp = op;
    }
  }

  if (scenario.end === "power in a flush") {
    const covers = written;
    const op = history.invoke("writer", "fsync", `${FILE}, twice at once`);
    const outcome = await node.invoke((api) => {
      void api.disk.fsync(FILE).catch(() => undefined); // the first: still running, maybe
      return api.disk.fsync(FILE);
    });
    if (outcome.kind === "error" && isProgrammingError(outcome.error)) rethrowFrom(`fsync("${FILE}")`, outcome.error);
    history.complete(op, outcome.kind === "ok" ? "ok" : "fail", { output: "the second resolved" });
    if (outcome.kind === "ok") {
      durable = covers;
      durableOp = op;
    }
    node.powerLoss();
  } else if (scenario.end === "power loss") node.powerLoss();
  else node.crash();
  history.nemesis(`${scenario.end === "crash" ? "the process crashes" : "the power goes"}`);

  const restarted = await node.start();
  if (restarted.kind === "error") throw restarted.error;
  return checkFile(ctx, node, scenario, { written, durable, durableOp });
}

/** The first offset in `bytes` (read at `at`, `length` of them checked) that is not what was written; -1 if none. */
function firstWrong(bytes: Uint8Array, at: number, length: number): number {
  for (let k = 0; k < Math.min(length, bytes.length); k++) if (bytes[k] !== byteAt(at + k)) return k;
  return -1;
}

async function checkFile(
  ctx: TestContext<LogModule>,
  node: SimNode<Api>,
  scenario: ContractScenario,
  state: { written: number; durable: number; durableOp: Op | null },
): Promise<Anomaly[]> {
  const { written, durable, durableOp } = state;
  const op = ctx.history.invoke("grader", "read", `${FILE}, from the disk itself`);
  const outcome = await node.invoke(async (api) => api.env.disk.read(FILE, 0, written + 4096));
  if (outcome.kind !== "ok") throw new Error(`the grader could not read the file back: ${outcome.kind}`);
  const file = outcome.value;
  ctx.history.complete(op, "ok", { output: `${file.length} bytes` });
  const ops = durableOp === null ? [op] : [durableOp, op];
  const wrong = firstWrong(file, 0, Math.min(durable, file.length));
  if (file.length < durable || wrong >= 0) {
    return [
      anomaly(
        "lost write",
        `fsync("${FILE}") resolved when ${bytes(durable)} had been written, so all of them were durable; after the ${endText(scenario.end)}, ` +
          (file.length < durable
            ? `the file holds ${bytes(file.length)}`
            : `the file holds other bytes at ${wrong}${file[wrong] === SCRIBBLE ? REUSED_HINT : ""}`) +
          (file.length >= durable && file[wrong] === SCRIBBLE
            ? ` (buffer of ${scenario.capacityBytes} bytes).`
            : `. An fsync covers only the writes that completed before it started: write the buffer out first, and wait for that write (buffer of ${scenario.capacityBytes} bytes).`),
        ops,
      ),
    ];
  }
  if (scenario.end === "crash") {
    const after = firstWrong(file, 0, file.length);
    if (file.length > written || after >= 0) {
      return [
        anomaly(
          "garbage read",
          `after a crash the file holds ${bytes(file.length)}, ${after >= 0 ? `with bytes at ${after} that were never written there` : `more than the ${written} written`}: a crash keeps the page cache, so the file must hold a prefix of what was written.`,
          [op],
        ),
      ];
    }
  }
  return [];
}
