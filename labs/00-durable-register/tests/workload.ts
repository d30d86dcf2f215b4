/**
 * The register workload: one client saves and loads in a loop while the fault plan runs, then,
 * once every fault has healed, checks that the register works again.
 *
 * Values come in the shapes the contract allows ("any string, from empty to a few kilobytes"):
 * mostly unique ASCII (`v7|` then random characters) of random length up to a few sectors, so that
 * a torn or mixed write can never pass for a real value and a write can tear across sectors; some
 * with multi-byte characters (a string's length is then not its UTF-8 size); some of a few
 * kilobytes (up to 4,096 bytes); and the empty string, which is a value, not "nothing saved".
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
import type { SimNode } from "#harness/sim/node.ts";
import type { SimRng } from "#harness/sim/rng.ts";
import { plural } from "#harness/words.ts";
import { recordCall } from "#harness/workloads/call.ts";
import type { History, Op } from "#harness/workloads/history.ts";
import type { Register, RegisterModule } from "./api.ts";
import { checkRecovered, checkRegister } from "./checker.ts";

export type RegisterOp = { kind: "save"; sizeBytes: number; gapMs: number } | { kind: "load"; gapMs: number };

/** What a saved value looks like: see the opening comment. */
export type ValueShape = "ascii" | "multibyte" | "kilobytes" | "empty";

/**
 * The operations and the plan come first and are drawn as they always were, so that a seed keeps
 * its operations, timing and faults across versions of this workload (reports and tests name
 * seeds); what came later (value shapes, unreadable loads) is drawn after them.
 */
export interface RegisterScenario {
  ops: RegisterOp[];
  plan: FaultPlan;
  /** The shape of the value of the i-th save; a save past the end of the list saves "ascii". */
  shapes: ValueShape[];
  /** Whether the i-th load is unreadable; a load past the end of the list is not. */
  unreadable: boolean[];
}

const gapMs = fc.integer({ min: 0, max: 4 });
const opArb: fc.Arbitrary<RegisterOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("save" as const), sizeBytes: fc.integer({ min: 1, max: 1600 }), gapMs }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("load" as const), gapMs }) },
);
/** A "kilobytes" value is this much longer than its drawn size: up to 4,096 bytes in all. */
const KILOBYTES_EXTRA_BYTES = 2496;
const shapeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<ValueShape>("ascii") },
  { weight: 2, arbitrary: fc.constant<ValueShape>("multibyte") },
  { weight: 1, arbitrary: fc.constant<ValueShape>("kilobytes") },
  { weight: 1, arbitrary: fc.constant<ValueShape>("empty") },
);
/** One load in six is unreadable, where a part asks for them. */
const unreadableArb = fc.integer({ min: 0, max: 5 }).map((n) => n === 5);
const LIST_LENGTH_MAX = 40;

export interface WorkloadOptions {
  /** Some loads run while every read returns a flipped bit (see the opening comment). */
  unreadableLoads?: boolean;
}

export function scenarioArb(
  plan: fc.Arbitrary<FaultPlan>,
  options: WorkloadOptions = {},
): fc.Arbitrary<RegisterScenario> {
  return fc.record({
    ops: fc.array(opArb, { minLength: 4, maxLength: LIST_LENGTH_MAX }),
    plan,
    shapes: fc.array(shapeArb, { maxLength: LIST_LENGTH_MAX }),
    unreadable: options.unreadableLoads ? fc.array(unreadableArb, { maxLength: LIST_LENGTH_MAX }) : fc.constant([]),
  });
}

export function describeScenario(scenario: RegisterScenario): string[] {
  const saves = scenario.ops.filter((op) => op.kind === "save").length;
  const loads = scenario.ops.length - saves;
  const empty = scenario.shapes.slice(0, saves).filter((shape) => shape === "empty").length;
  const unreadable = scenario.unreadable.slice(0, loads).filter(Boolean).length;
  const savesText = `${plural(saves, "save")}${empty > 0 ? ` (${empty} of the empty string)` : ""}`;
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
  let loadNumber = 0;
  const unreadable = new Set<Op>();
  for (const op of scenario.ops) {
    await world.sleep(op.gapMs);
    if (op.kind === "save") {
      const shape = scenario.shapes[saveNumber] ?? "ascii";
      await save(node, history, valueFor(++saveNumber, shape, op.sizeBytes, ctx.rng));
    } else if (scenario.unreadable[loadNumber++] === true) unreadable.add(await loadUnreadable(node, history));
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
  if (shape === "ascii" || shape === "kilobytes") {
    const size = shape === "ascii" ? sizeBytes : sizeBytes + KILOBYTES_EXTRA_BYTES;
    let text = prefix;
    while (text.length < size) text += rng.uint32().toString(36);
    return text.slice(0, Math.max(size, prefix.length));
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
  return recordCall(history, node, { client: CLIENT, f: "load", onError: "fail" }, (r) => r.load());
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
  const op = await recordCall(history, node, { client: CLIENT, f: "load", onError: "fail" }, (r) => {
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
