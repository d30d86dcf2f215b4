/**
 * Lab 00's graded parts. Each is one property, checked on many seeds: the same workload under a
 * harsher fault model each time, so the parts tell a learner which layer of durability is missing.
 */
import { planArb } from "#harness/faults/plan.ts";
import { definePart } from "#harness/grade/define.ts";
import type { RegisterModule } from "./api.ts";
import { describeScenario, type RegisterScenario, runRegisterWorkload, scenarioArb } from "./workload.ts";

const NODES = ["n1"];
const WINDOW_MS = 120;

export const partA = definePart<RegisterModule, RegisterScenario>({
  id: "L0.A",
  title: "the API in memory",
  points: 10,
  seeds: 100,
  property: "with no faults, load() returns the last saved value (undefined before any save)",
  scenario: scenarioArb(planArb({ nodes: NODES, windowMs: WINDOW_MS, kinds: [], eventsMax: 0 })),
  describe: describeScenario,
  run: runRegisterWorkload,
});

export const partB = definePart<RegisterModule, RegisterScenario>({
  id: "L0.B",
  title: "survives a process crash",
  points: 20,
  seeds: 300,
  property:
    "after the process crashes and restarts, load() returns the last acknowledged value or a newer attempted one",
  scenario: scenarioArb(
    planArb({ nodes: NODES, windowMs: WINDOW_MS, kinds: ["crash"], eventsMin: 1, eventsMax: 5, outageMsMax: 20 }),
  ),
  describe: describeScenario,
  run: runRegisterWorkload,
});

export const partC = definePart<RegisterModule, RegisterScenario>({
  id: "L0.C",
  title: "survives power loss, torn writes and bit flips, and never guesses",
  points: 40,
  seeds: 500,
  property:
    "after power loss (lost, torn and reordered unsynced writes, forgotten renames) and flipped bits on read, load() returns the last acknowledged value or a newer attempted one, never garbage; when every read returns a flipped bit, load() throws rather than guess",
  scenario: scenarioArb(
    planArb({
      nodes: NODES,
      windowMs: WINDOW_MS,
      kinds: ["powerLoss", "crash", "flipReads"],
      eventsMin: 1,
      eventsMax: 5,
      outageMsMax: 20,
    }),
    { unreadableLoads: true },
  ),
  describe: describeScenario,
  run: runRegisterWorkload,
});

export const partD = definePart<RegisterModule, RegisterScenario>({
  id: "L0.D",
  title: "handles fsync failure honestly",
  points: 30,
  seeds: 300,
  property:
    "when fsync fails with EIO or the disk is full, save() fails instead of acknowledging, nothing acknowledged is lost, and the register works again afterwards",
  scenario: scenarioArb(
    planArb({
      nodes: NODES,
      windowMs: WINDOW_MS,
      kinds: ["fsyncFails", "diskFull", "powerLoss"],
      eventsMin: 1,
      eventsMax: 5,
      outageMsMax: 20,
    }),
  ),
  describe: describeScenario,
  run: runRegisterWorkload,
});
