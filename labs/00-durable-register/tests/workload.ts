/**
 * The register workload: one client saves and loads in a loop while the fault plan runs, then,
 * once every fault has healed, checks that the register works again.
 *
 * Values are unique (`v7|` then random characters) and of random length up to a few sectors, so
 * that a torn or mixed write can never pass for a real value and a write can tear across sectors.
 */
import fc from "fast-check";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { applyPlan, describePlan, type FaultPlan } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { SimRng } from "#harness/sim/rng.ts";
import { recordCall } from "#harness/workloads/call.ts";
import type { History } from "#harness/workloads/history.ts";
import type { Register, RegisterModule } from "./api.ts";
import { checkRecovered, checkRegister } from "./checker.ts";

export type RegisterOp = { kind: "save"; sizeBytes: number; gapMs: number } | { kind: "load"; gapMs: number };

export interface RegisterScenario {
  ops: RegisterOp[];
  plan: FaultPlan;
}

const gapMs = fc.integer({ min: 0, max: 4 });
const opArb: fc.Arbitrary<RegisterOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("save" as const), sizeBytes: fc.integer({ min: 1, max: 1600 }), gapMs }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("load" as const), gapMs }) },
);

export function scenarioArb(plan: fc.Arbitrary<FaultPlan>): fc.Arbitrary<RegisterScenario> {
  return fc.record({ ops: fc.array(opArb, { minLength: 4, maxLength: 40 }), plan });
}

export function describeScenario(scenario: RegisterScenario): string[] {
  const saves = scenario.ops.filter((op) => op.kind === "save").length;
  const loads = scenario.ops.length - saves;
  return [
    ...describePlan(scenario.plan),
    `workload: ${plural(saves, "save")} and ${plural(loads, "load")}, one at a time; then, once the faults are over, load, save, load`,
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
  for (const op of scenario.ops) {
    await world.sleep(op.gapMs);
    if (op.kind === "save") await save(node, history, valueFor(++saveNumber, op.sizeBytes, ctx.rng));
    else await load(node, history);
  }

  // Let every fault end and every crashed node come back, then demand that the register works.
  await faults.healed();
  await load(node, history);
  const finalSave = await save(node, history, valueFor(++saveNumber, 100, ctx.rng));
  const finalLoad = await load(node, history);
  const broken = checkRegister(history.ops);
  return broken.length > 0 ? broken : checkRecovered(finalSave, finalLoad);
}

function valueFor(n: number, sizeBytes: number, rng: SimRng): string {
  const prefix = `v${n}|`;
  let text = prefix;
  while (text.length < sizeBytes) text += rng.uint32().toString(36);
  return text.slice(0, Math.max(sizeBytes, prefix.length));
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

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
