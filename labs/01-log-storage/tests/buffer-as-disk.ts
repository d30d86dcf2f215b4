/**
 * Part L1.H, the write buffer as a disk: BufferedDisk is handed to the whole log as its Disk, so
 * every call must answer what the disk itself would answer had every buffered write gone to the
 * file, not only the appends the commit log makes. Before the fault phase of buffer-contract.ts,
 * the grader drives your BufferedDisk through the calls a log's other files make, with no fault:
 *
 *   overwrite   a write inside what the file holds (a consume-queue entry rewritten)
 *   hole        a write past the end (the disk fills the gap with zeros)
 *   truncate    a cut to a smaller size, or a zero-extension (recovery cutting a torn tail)
 *   recreate    unlink, then create the same name and write it again
 *   replace     write a scratch file, rename it over the working file, and use the scratch name
 *               again (the write-then-rename pattern of lab 00)
 *   rename      the working file moves to its other name
 *   read, size  anywhere, also past the end
 *   read during a flush   a read and an fsync of the file called together, in either order:
 *               the read must see every byte, wherever the write-out has got to
 *
 * Every answer is compared with a plain model of the disk. Two promises of the contract are
 * checked on the calls your class makes to the disk beneath it: no write call carries more than
 * capacityBytes, unless it is exactly one write larger than that handed straight down; and the
 * array handed to write() may be reused by the caller once write() resolved (the grader fills it
 * with other bytes at once, as a log reusing its encode buffer would).
 *
 * Anomaly: "wrong answer", e.g.
 *   size("g") said 1,300 after truncate("g", 200): the size is the file's as if every buffered
 *   write had gone to it, and a truncate cut those bytes too.
 */
import fc from "fast-check";
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { History, Op } from "#harness/workloads/history.ts";
import type { Disk } from "#lab";

export type DiskStep =
  | { kind: "append"; bytes: number }
  | { kind: "overwrite"; at: number; bytes: number }
  | { kind: "hole"; gapBytes: number; bytes: number }
  | { kind: "truncate"; to: number; grow: boolean }
  | { kind: "read"; at: number; length: number }
  | { kind: "readDuringFlush"; at: number; length: number; fsyncFirst: boolean }
  | { kind: "size" }
  | { kind: "fsync" }
  | { kind: "recreate" }
  | { kind: "replace"; bytes: number }
  | { kind: "rename" };

export const diskStepsArb: fc.Arbitrary<DiskStep[]> = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant("append" as const), bytes: fc.integer({ min: 1, max: 400 }) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("overwrite" as const),
        at: fc.nat({ max: 1_000_000 }),
        bytes: fc.integer({ min: 1, max: 300 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("hole" as const),
        gapBytes: fc.integer({ min: 1, max: 200 }),
        bytes: fc.integer({ min: 1, max: 100 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("truncate" as const),
        to: fc.nat({ max: 1_000_000 }),
        grow: fc.boolean(),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("read" as const),
        at: fc.nat({ max: 1_000_000 }),
        length: fc.integer({ min: 1, max: 700 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("readDuringFlush" as const),
        at: fc.nat({ max: 1_000_000 }),
        length: fc.integer({ min: 1, max: 700 }),
        fsyncFirst: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.constant({ kind: "size" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "fsync" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "recreate" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("replace" as const), bytes: fc.integer({ min: 1, max: 500 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "rename" as const }) },
  ),
  { minLength: 0, maxLength: 24, size: "medium" },
);

export function describeDiskSteps(steps: readonly DiskStep[]): string {
  if (steps.length === 0) return "";
  const kinds = [...new Set(steps.map((s) => s.kind))];
  return `${plural(steps.length, "call")} on other files with no fault (${kinds.join(", ")}), each answer compared with a plain disk`;
}

/** A write call your class made to the disk beneath it. */
interface WriteCall {
  path: string;
  offset: number;
  length: number;
}

/**
 * The disk beneath your BufferedDisk: passes every call on and remembers the write calls, so the
 * grader can check their sizes. (Not DiskPassThrough: the grader's own code, kept apart from the
 * learner's provided file.)
 */
export class WriteCallRecorder implements Disk {
  readonly writes: WriteCall[] = [];
  constructor(private readonly disk: Disk) {}
  list(dir: string): Promise<string[]> {
    return this.disk.list(dir);
  }
  exists(path: string): Promise<boolean> {
    return this.disk.exists(path);
  }
  mkdir(path: string): Promise<void> {
    return this.disk.mkdir(path);
  }
  create(path: string): Promise<void> {
    return this.disk.create(path);
  }
  write(path: string, offset: number, data: Uint8Array): Promise<void> {
    this.writes.push({ path, offset, length: data.length });
    return this.disk.write(path, offset, data);
  }
  read(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.disk.read(path, offset, length);
  }
  size(path: string): Promise<number> {
    return this.disk.size(path);
  }
  truncate(path: string, sizeBytes: number): Promise<void> {
    return this.disk.truncate(path, sizeBytes);
  }
  fsync(path: string): Promise<void> {
    return this.disk.fsync(path);
  }
  fsyncDir(dir: string): Promise<void> {
    return this.disk.fsyncDir(dir);
  }
  rename(from: string, to: string): Promise<void> {
    return this.disk.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return this.disk.unlink(path);
  }
}

/**
 * Checks the write calls made beneath the buffer since `fromIndex`: each carries at most
 * `capacityBytes`, or is one of the writes handed in (same offset and length) that was larger.
 * Returns a sentence for the first that breaks it, or null.
 */
export function oversizedWriteCall(
  recorder: WriteCallRecorder,
  fromIndex: number,
  capacityBytes: number,
  handedIn: readonly WriteCall[],
): string | null {
  for (const call of recorder.writes.slice(fromIndex)) {
    if (call.length <= capacityBytes) continue;
    if (handedIn.some((w) => w.length === call.length && w.offset === call.offset && w.length > capacityBytes))
      continue;
    return `your BufferedDisk wrote ${call.length} bytes to "${call.path}" at ${call.offset} in one call, with a buffer of ${capacityBytes} bytes: a call carries at most capacityBytes, unless it is a single write larger than that going straight to the file.`;
  }
  return null;
}

/** What the grader fills an array with once write() resolved: a caller reusing it. */
export const SCRIBBLE = 0xee;
export const REUSED_HINT =
  ": that byte is what the grader wrote into the array it had handed to write(), once the call had resolved; a caller may reuse its array, so keep a copy of its bytes";

/** The byte the grader writes at `offset` in its `generation`-th write: told apart from older ones. */
function byteOf(offset: number, generation: number): number {
  return (offset * 7 + generation * 31 + (offset >> 8) * 13 + 1) & 0xff;
}

/** Grader-side calls on the learner's disk, each recorded in the history. */
export interface DiskCaller {
  /** Runs `body` on the learner's BufferedDisk; null when it failed (the failure is recorded). */
  call<T>(
    f: string,
    input: string,
    body: (disk: Disk) => Promise<T>,
    show: (value: T) => string,
  ): Promise<{ op: Op; value: T | null }>;
}

const NAMES = ["g", "h"] as const;
const SCRATCH = "tmp";

function plural(n: number, one: string): string {
  return `${n.toLocaleString("en-US")} ${one}${n === 1 ? "" : "s"}`;
}

/**
 * Runs `steps` through the learner's disk and compares each answer with a plain disk model.
 * Returns the first anomaly, or [] when every answer matched.
 */
export async function runDiskSteps(
  steps: readonly DiskStep[],
  capacityBytes: number,
  caller: DiskCaller,
  recorder: WriteCallRecorder,
  history: History,
): Promise<Anomaly[]> {
  if (steps.length === 0) return [];
  const files = new Map<string, Uint8Array>();
  let cur: string = NAMES[0];
  let generation = 0;
  const handedIn: WriteCall[] = [];
  const wrong = (op: Op, text: string): Anomaly[] => [
    anomaly("wrong answer", `${text} (buffer of ${capacityBytes} bytes)`, [op]),
  ];
  const content = (name: string) => files.get(name) ?? new Uint8Array(0);

  const mustDo = async (
    f: string,
    input: string,
    body: (disk: Disk) => Promise<unknown>,
  ): Promise<Anomaly[] | null> => {
    const { op, value } = await caller.call(
      f,
      input,
      (d) => body(d).then(() => true),
      () => "ok",
    );
    return value === null ? wrong(op, `${f}(${input}) failed with no fault on the disk.`) : null;
  };

  /** Writes `bytes` at `offset` of `name` through the learner's disk, and into the model. */
  const write = async (name: string, offset: number, bytes: number): Promise<Anomaly[] | null> => {
    generation++;
    const data = Uint8Array.from({ length: bytes }, (_, k) => byteOf(offset + k, generation));
    const before = recorder.writes.length;
    handedIn.push({ path: name, offset, length: bytes });
    const failed = await mustDo("write", `${name}, ${offset}, ${plural(bytes, "byte")}`, (d) =>
      d.write(name, offset, data),
    );
    if (failed !== null) return failed;
    data.fill(SCRIBBLE); // the caller reuses its array at once
    const old = content(name);
    const next = new Uint8Array(Math.max(old.length, offset + bytes));
    next.set(old);
    next.set(
      Uint8Array.from({ length: bytes }, (_, k) => byteOf(offset + k, generation)),
      offset,
    );
    files.set(name, next);
    const oversized = oversizedWriteCall(recorder, before, capacityBytes, handedIn);
    if (oversized !== null) {
      const op = history.invoke("grader", "check", "the write calls beneath the buffer");
      history.complete(op, "ok", { output: oversized });
      return wrong(op, oversized);
    }
    return null;
  };

  /** Reads through the learner's disk, with an fsync of the same file called alongside if `flush` says so. */
  const check = async (
    name: string,
    at: number,
    length: number,
    flush?: { fsyncFirst: boolean },
  ): Promise<Anomaly[] | null> => {
    const model = content(name);
    const during =
      flush === undefined
        ? ""
        : flush.fsyncFirst
          ? ", called right after fsync(" + name + ")"
          : ", with fsync(" + name + ") called right after it";
    const { op, value } = await caller.call(
      "read",
      `${name}, ${at}, ${length}${during}`,
      (d) => {
        if (flush === undefined) return d.read(name, at, length);
        if (flush.fsyncFirst) {
          const flushed = d.fsync(name);
          return Promise.all([flushed, d.read(name, at, length)]).then(([, bytes]) => bytes);
        }
        const read = d.read(name, at, length);
        return Promise.all([read, d.fsync(name)]).then(([bytes]) => bytes);
      },
      (v) => plural(v.length, "byte"),
    );
    const want = model.subarray(Math.min(at, model.length), Math.min(at + length, model.length));
    const hint =
      flush === undefined
        ? ""
        : " The fsync was writing the buffer out meanwhile: bytes may leave the buffer only once the write carrying them resolved, and a read must take what it needs from the buffer before it waits on the disk.";
    if (value === null)
      return wrong(op, `read("${name}", ${at}, ${length})${during} failed with no fault on the disk.`);
    if (value.length !== want.length)
      return wrong(
        op,
        `read("${name}", ${at}, ${length})${during} returned ${plural(value.length, "byte")} where the file, with every buffered write in it, holds ${plural(want.length, "byte")} there (its size is ${model.length.toLocaleString("en-US")}). A read returns what the disk would, had every buffered write gone to the file.${hint}`,
      );
    const k = value.findIndex((b, i) => b !== want[i]);
    if (k >= 0)
      return wrong(
        op,
        `read("${name}", ${at}, ${length})${during} returned other bytes at ${at + k} than the file would hold had every buffered write gone to it${value[k] === SCRIBBLE ? REUSED_HINT : want[k] === 0 ? " (zeros: a write past the end, or a truncate that extended the file, leaves zeros in the gap)" : ""}.${hint}`,
      );
    return null;
  };

  const checkSize = async (name: string, after: string): Promise<Anomaly[] | null> => {
    const { op, value } = await caller.call("size", name, (d) => d.size(name), String);
    const want = content(name).length;
    if (value !== want)
      return wrong(
        op,
        `size("${name}") said ${value === null ? "nothing (it failed)" : value.toLocaleString("en-US")} after ${after}; the file, with every buffered write in it, holds ${plural(want, "byte")}. The size is the file's as if every buffered write had gone to it.`,
      );
    return null;
  };

  let found = await mustDo("create", cur, (d) => d.create(cur));
  if (found !== null) return found;
  files.set(cur, new Uint8Array(0));
  for (const step of steps) {
    const size = content(cur).length;
    switch (step.kind) {
      case "append":
        found = await write(cur, size, step.bytes);
        break;
      case "overwrite":
        found = await write(cur, step.at % (size + 1), step.bytes);
        break;
      case "hole":
        found = await write(cur, size + step.gapBytes, step.bytes);
        if (found === null) found = await check(cur, Math.max(0, size - 8), step.gapBytes + 16);
        break;
      case "truncate": {
        const to = step.grow ? size + (step.to % 300) : step.to % (size + 1);
        found = await mustDo("truncate", `${cur}, ${to}`, (d) => d.truncate(cur, to));
        if (found !== null) break;
        const next = new Uint8Array(to);
        next.set(content(cur).subarray(0, Math.min(to, size)));
        files.set(cur, next);
        found = await checkSize(cur, `truncate("${cur}", ${to})`);
        break;
      }
      case "read":
        found = await check(cur, step.at % (size + 64), step.length);
        break;
      case "readDuringFlush":
        found = await check(cur, step.at % (size + 64), step.length, { fsyncFirst: step.fsyncFirst });
        break;
      case "size":
        found = await checkSize(cur, "the calls before");
        break;
      case "fsync":
        found = await mustDo("fsync", cur, (d) => d.fsync(cur));
        break;
      case "recreate": {
        found = await mustDo("unlink", cur, (d) => d.unlink(cur));
        if (found !== null) break;
        files.delete(cur);
        const { op, value } = await caller.call("exists", cur, (d) => d.exists(cur), String);
        if (value !== false) {
          found = wrong(op, `exists("${cur}") said ${String(value)} right after unlink("${cur}") resolved.`);
          break;
        }
        found = await mustDo("create", cur, (d) => d.create(cur));
        if (found !== null) break;
        files.set(cur, new Uint8Array(0));
        found = await checkSize(cur, `unlink("${cur}") and create("${cur}")`);
        if (found === null) found = await write(cur, 0, 1 + (size % 200));
        break;
      }
      case "replace": {
        // Write a scratch file, rename it over the working file, and use the scratch name again.
        found = await mustDo("create", SCRATCH, (d) => d.create(SCRATCH));
        if (found !== null) break;
        files.set(SCRATCH, new Uint8Array(0));
        found = await checkSize(SCRATCH, `create("${SCRATCH}")`);
        if (found === null) found = await write(SCRATCH, 0, step.bytes);
        if (found === null) found = await mustDo("rename", `${SCRATCH}, ${cur}`, (d) => d.rename(SCRATCH, cur));
        if (found !== null) break;
        files.set(cur, content(SCRATCH));
        files.delete(SCRATCH);
        found = await checkSize(cur, `rename("${SCRATCH}", "${cur}")`);
        if (found === null) found = await check(cur, 0, step.bytes + 8);
        break;
      }
      case "rename": {
        const other = cur === NAMES[0] ? NAMES[1] : NAMES[0];
        found = await mustDo("rename", `${cur}, ${other}`, (d) => d.rename(cur, other));
        if (found !== null) break;
        files.set(other, content(cur));
        files.delete(cur);
        cur = other;
        found = await checkSize(cur, `rename to "${cur}"`);
        break;
      }
    }
    if (found !== null) return found;
  }
  // The working file whole, as the last word.
  return (await check(cur, 0, content(cur).length + 16)) ?? [];
}
