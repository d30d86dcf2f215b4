/**
 * How a lab declares itself to the grader: a manifest of parts, each with one graded property.
 *
 * A part's test is a property over scenarios: `scenario` generates one (a workload and a fault
 * plan) from a seed; `run` plays it in a fresh simulated world against the implementation under
 * test and returns the anomalies its checkers found. The grader does the rest: seeds, shrinking,
 * verdicts for stubs, exceptions, hangs, and nondeterminism, reports and replays.
 */
import type fc from "fast-check";
import type { Anomaly } from "../checkers/anomaly.ts";
import type { Env } from "../env.ts";
import type { SimRng } from "../sim/rng.ts";
import type { RunLimits } from "../sim/scheduler.ts";
import type { World, WorldOptions } from "../sim/world.ts";
import type { History } from "../workloads/history.ts";

/** An implementation as the grader holds it (see modules.ts). */
export interface Implementation<TImpl> {
  /** One copy, for calls the workload makes itself (pure functions: a codec, a routing rule). */
  shared: TImpl;
  /** A new copy of every module of the implementation, with its own module-level state. */
  fresh(): TImpl;
  /** Module-level variables in the implementation's files, named in failure reports. */
  moduleState: string[];
}

/** What a part's test gets for one run. */
export interface TestContext<TImpl> {
  world: World;
  /**
   * The implementation under test (the exports of the lab's entry modules), for calls the workload
   * makes itself. A node's boot function uses `implFor(env)` instead.
   */
  impl: TImpl;
  /**
   * The implementation as the node incarnation that owns `env` loaded it: a copy of its own, so
   * that module-level state neither survives a restart nor is shared by two nodes, as with real
   * processes. The same `env` always gets the same copy.
   */
  implFor(env: Env): TImpl;
  history: History;
  seed: number;
  /** Randomness for the workload itself (not shared with the world's other streams). */
  rng: SimRng;
}

/** World settings a part may choose (the grader sets seed, tracing and the guard). */
export type PartWorldOptions = Omit<WorldOptions, "seed" | "keepTrace" | "logLevel" | "guardRoots">;

export interface PartDefinition<TImpl, TScenario> {
  /** Like "L1.B": lab number, then the part's letter. */
  id: string;
  title: string;
  points: number;
  /** Seeds graded by default. */
  seeds: number;
  /** The property, as a sentence: what must hold on every seed. */
  property: string;
  scenario: fc.Arbitrary<TScenario>;
  /** The scenario in words (its fault plan first), as a failure report prints it. */
  describe(scenario: TScenario): string[];
  world?: PartWorldOptions;
  limits?: Partial<RunLimits>;
  run(ctx: TestContext<TImpl>, scenario: TScenario): Promise<Anomaly[]>;
}

/**
 * A part with its scenario type erased, so parts of one lab can live in one list; the optional
 * settings are filled in with their defaults.
 */
export interface Part<TImpl> extends Omit<PartDefinition<TImpl, unknown>, "world" | "limits"> {
  world: PartWorldOptions;
  limits: Partial<RunLimits>;
}

export function definePart<TImpl, TScenario>(definition: PartDefinition<TImpl, TScenario>): Part<TImpl> {
  return {
    id: definition.id,
    title: definition.title,
    points: definition.points,
    seeds: definition.seeds,
    property: definition.property,
    scenario: definition.scenario as unknown as fc.Arbitrary<unknown>,
    describe: (scenario) => definition.describe(scenario as TScenario),
    world: definition.world ?? {},
    limits: definition.limits ?? {},
    run: (ctx, scenario) => definition.run(ctx, scenario as TScenario),
  };
}

export interface LabManifest<TImpl = unknown> {
  /** Two digits: "00". */
  id: string;
  title: string;
  /** One sentence: what the learner builds. */
  summary: string;
  /**
   * Set while a lab is being built: why it cannot be graded yet. `lab list` says so, and `lab
   * grade` without a lab never picks it. Never set on a lab listed as ready.
   */
  underConstruction?: string;
  /** The folder the learner edits, relative to the lab's folder. */
  learnerDir: string;
  /** The files a learner edits; a solution or a bug-zoo entry has the same files. */
  files: string[];
  /** The modules (among `files`) whose exports, together, are the implementation. */
  entry: string | string[];
  /** Exports the entry module must have. */
  exports: string[];
  parts: Part<TImpl>[];
  /**
   * The learner files each part runs, by part id (a part not listed runs all of `files`). `lab
   * status` marks a part's result stale only when one of these, or a file they import, changed.
   */
  partFiles?: Readonly<Record<string, readonly string[]>>;
}

export function defineLab<TImpl>(manifest: LabManifest<TImpl>): LabManifest<TImpl> {
  const ids = new Set<string>();
  for (const part of manifest.parts) {
    if (ids.has(part.id)) throw new Error(`lab ${manifest.id}: part ${part.id} is declared twice`);
    ids.add(part.id);
  }
  return manifest;
}
