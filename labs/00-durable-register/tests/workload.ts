/**
 * The register workload: one client saves and loads in a loop while the fault plan runs, then,
 * once every fault has healed, checks that the register works again.
 *
 * Values come in the shapes the contract allows ("any string, from empty to a few kilobytes"):
 * mostly unique ASCII (`v7|` then random characters) of random length up to a few sectors, so that
 * a torn or mixed write can never pass for a real value and a write can tear across sectors; some
 * with multi-byte characters (a string's length is then not its UTF-8 size); some of a few
 * kilobytes; and the empty string, which is a value, not "nothing saved".
 *
 * A load can be an unreadable one (parts that ask for it): for as long as that load runs, every
 * read on the node returns a flipped bit, as a failing disk or cable would. To the register its
 * file then never verifies, however often it re-reads it, and the contract says what to do: throw
 * rather than guess. (The plan's flipReads events spoil a few reads only, which re-reads get past.)
 * The stored bytes are intact, so once the load is over the register must work as before.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { applyPlan, describePlan, type FaultPlan } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import { plural } from "#harness/grade/words.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { SimRng } from "#harness/sim/rng.ts";
import { recordCall } from "#harness/workloads/call.ts";
import type { History, Op } from "#harness/workloads/history.ts";
import type { Register, RegisterModule } from "./api.ts";
import { checkRecovered, checkRegister } from "./checker.ts";

/** What a saved value looks like (`sizeBytes` is its UTF-8 size; the empty string ignores it). */
export type ValueShape = "ascii" | "multibyte" | "empty";

export type RegisterOp =
  | { kind: "save"; shape: ValueShape; sizeBytes: number; gapMs: number }
  | { kind: "load"; unreadable: boolean; gapMs: number };

export interface RegisterScenario {
  ops: RegisterOp[];
  plan: FaultPlan;
}

/** Sizes of non-empty values: mostly up to a few sectors, sometimes a few kilobytes. */
const SIZE_BYTES_MAX = 4096;
const sizeBytes = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 1600 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1601, max: SIZE_BYTES_MAX }) },
);
const shape = fc.oneof(
  { weight: 6, arbitrary: fc.constant<ValueShape>("ascii") },
  { weight: 2, arbitrary: fc.constant<ValueShape>("multibyte") },
  { weight: 1, arbitrary: fc.constant<ValueShape>("empty") },
);
const gapMs = fc.integer({ min: 0, max: 4 });

function opArb(unreadableLoads: boolean): fc.Arbitrary<RegisterOp> {
  // One load in six is unreadable where the part asks for them; false shrinks first.
  const unreadable = unreadableLoads ? fc.integer({ min: 0, max: 5 }).map((n) => n === 5) : fc.constant(false);
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("save" as const), shape, sizeBytes, gapMs }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("load" as const), unreadable, gapMs }) },
  );
}

export interface WorkloadOptions {
  /** Some loads run while every read returns a flipped bit (see the opening comment). */
  unreadableLoads?: boolean;
}

export function scenarioArb(
  plan: fc.Arbitrary<FaultPlan>,
  options: WorkloadOptions = {},
): fc.Arbitrary<RegisterScenario> {
  const ops = fc.array(opArb(options.unreadableLoads ?? false), { minLength: 4, maxLength: 40 });
  return fc.record({ ops, plan });
}

export function describeScenario(scenario: RegisterScenario): string[] {
  const saves = scenario.ops.filter((op) => op.kind === "save");
  const empty = saves.filter((op) => op.shape === "empty").length;
  const loads = scenario.ops.length - saves.length;
  const unreadable = scenario.ops.filter((op) => op.kind === "load" && op.unreadable).length;
  const savesText = `${plural(saves.length, "save")}${empty > 0 ? ` (${empty} of the empty string)` : ""}`;
  const loadsText = `${plural(loads, "load")}${unreadable > 0 ? ` (${unreadable} while every read returns a flipped bit)` : ""}`;
  return [
    ...describePlan(scenario.plan),
    `workload: ${savesText} and ${loadsText}, one at a time; then, once the faults are over, load, save, load`,
  ];
}

const NODE = "n1";
const CLIENT = "client";

/** Plays the scenario and returns what the checkers found. */
export async function runRegisterWorkload(
  ctx: TestContext<RegisterModule>,
  scenario: RegisterScenario,
): Promise<Anomaly[]> {
  const { world, history } = ctx;
  const node = world.addNode(NODE, (env) => ctx.implFor(env).openRegister(env));
  const booted = await node.start();
  if (booted.kind === "error") throw booted.error;
  const faults = applyPlan(world, scenario.plan, history);

  let saveNumber = 0;
  const unreadable = new Set<Op>();
  for (const op of scenario.ops) {
    await world.sleep(op.gapMs);
    if (op.kind === "save") await save(node, history, valueFor(++saveNumber, op.shape, op.sizeBytes, ctx.rng));
    else if (op.unreadable) unreadable.add(await loadUnreadable(node, history));
    else await load(node, history);
  }

  // Let every fault end and every crashed node come back, then demand that the register works.
  await faults.healed();
  await load(node, history);
  const finalSave = await save(node, history, valueFor(++saveNumber, "ascii", 100, ctx.rng));
  const finalLoad = await load(node, history);
  const broken = checkRegister(history.ops, unreadable);
  return broken.length > 0 ? broken : checkRecovered(finalSave, finalLoad);
}

/** Characters of 2, 3 and 4 UTF-8 bytes, with their sizes. */
const MULTIBYTE: ReadonlyArray<readonly [string, number]> = [
  ["é", 2],
  ["€", 3],
  ["中", 3],
  ["😀", 4],
];

function valueFor(n: number, shape: ValueShape, sizeBytes: number, rng: SimRng): string {
  if (shape === "empty") return "";
  const prefix = `v${n}|`;
  if (shape === "ascii") {
    let text = prefix;
    while (text.length < sizeBytes) text += rng.uint32().toString(36);
    return text.slice(0, Math.max(sizeBytes, prefix.length));
  }
  let text = prefix;
  let bytes = prefix.length;
  while (bytes < sizeBytes) {
    const [char, charBytes] = rng.pick(MULTIBYTE);
    text += char;
    bytes += charBytes;
  }
  return text;
}

function save(node: SimNode<Register>, history: History, value: string) {
  // A save that reports an error may still have reached the disk (say, the rename did and the
  // directory fsync failed), so its outcome is unknown, not a definite failure.
  return recordCall(
    history,
    node,
    { client: CLIENT, f: "save", input: value, onError: "info", keepOutput: false },
    (r) => r.save(value),
  );
}

function load(node: SimNode<Register>, history: History) {
  return recordCall(history, node, { client: CLIENT, f: "load", input: undefined, onError: "fail" }, (r) => r.load());
}

/**
 * A load during which every read returns a flipped bit: the register's file never verifies. The
 * reads turn bad when load() starts running, not before: a restarting node opens with clean reads
 * (what open() should do with a disk that never reads clean, the contract does not say). The
 * timeline announces it before the call, so that a report which ends at this load still shows it.
 */
async function loadUnreadable(node: SimNode<Register>, history: History): Promise<Op> {
  history.nemesis(`while the next load() runs, every read on ${node.id} returns a flipped bit (a failing disk)`);
  let before: number | undefined;
  const op = await recordCall(history, node, { client: CLIENT, f: "load", input: undefined, onError: "fail" }, (r) => {
    before = node.disk.flipNextReads;
    node.disk.flipNextReads = Number.POSITIVE_INFINITY;
    return r.load();
  });
  if (before !== undefined) {
    // Give back the plan's own spoiled reads, unless its flipReads window closed meanwhile (then 0).
    node.disk.flipNextReads = Math.min(before, node.disk.flipNextReads);
    history.nemesis(`reads on ${node.id} are clean again`);
  }
  return op;
}
