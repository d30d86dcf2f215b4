/**
 * The stubs and the solution have the same module type, file by file: a contract cannot drift
 * between what the learner is asked to write and what the reference wrote. Checked by the type
 * checker (`npx tsc --noEmit -p .`, part of `npm test`): change a stub's signature, or the
 * solution's, and this file stops compiling.
 *
 * What "the same" means: every export has the same type, except that a class is compared by what
 * its users can reach (its constructor's parameters, its public static and instance members), not
 * by its private and protected members: those are the implementation's own business, and the
 * solution has helpers the stub does not.
 */
import { describe, expectTypeOf, it } from "vitest";
import type * as solutionCommitLog from "./solution/commit-log.ts";
import type * as solutionConsumeQueue from "./solution/consume-queue.ts";
import type * as solutionFlush from "./solution/flush.ts";
import type * as solutionRecord from "./solution/record.ts";
import type * as solutionRecovery from "./solution/recovery.ts";
import type * as stubCommitLog from "./src/commit-log.ts";
import type * as stubConsumeQueue from "./src/consume-queue.ts";
import type * as stubFlush from "./src/flush.ts";
import type * as stubRecord from "./src/record.ts";
import type * as stubRecovery from "./src/recovery.ts";

/** The members of T its users can reach: a mapped type keeps only public keys. */
type Public<T> = { [K in keyof T]: Reachable<T[K]> };

/** A value as its users see it: functions by their parameters and results, objects by their public members. */
type Reachable<T> = T extends (...args: infer A) => infer R
  ? { params: { [I in keyof A]: Shallow<A[I]> }; returns: Shallow<R> }
  : T;

/** One level down: an instance of a class (as a result, `Promise<CommitLog>`) by its public members. */
type Shallow<T> = T extends Promise<infer V> ? Promise<PublicInstance<V>> : T extends object ? PublicInstance<T> : T;
type PublicInstance<T> = T extends (...args: never[]) => unknown ? T : { [K in keyof T]: T[K] };

/** A class by its constructor's parameters, its static members and its instances' public members. */
type ClassShape<C> = C extends abstract new (
  ...args: infer A
) => infer I
  ? { construct: A; statics: Public<Omit<C, "prototype">>; instance: Public<I> }
  : never;

/** A module's exports: classes by their shape, everything else by its type. */
type ModuleShape<M> = {
  [K in keyof M]: M[K] extends abstract new (...args: never[]) => unknown ? ClassShape<M[K]> : Reachable<M[K]>;
};

/** The exports the stub declares: the solution may export more (helpers its other files use). */
type ShapeOf<M, Names extends keyof M> = ModuleShape<Pick<M, Names>>;

describe("lab 01: the stubs and the solution have the same module type", () => {
  it("record.ts", () => {
    expectTypeOf<ShapeOf<typeof stubRecord, keyof typeof stubRecord>>().toEqualTypeOf<
      ShapeOf<typeof solutionRecord, keyof typeof stubRecord>
    >();
    expectTypeOf<keyof typeof solutionRecord>().toEqualTypeOf<keyof typeof stubRecord>();
  });

  it("commit-log.ts", () => {
    expectTypeOf<ShapeOf<typeof stubCommitLog, keyof typeof stubCommitLog>>().toEqualTypeOf<
      ShapeOf<typeof solutionCommitLog, keyof typeof stubCommitLog>
    >();
    expectTypeOf<keyof typeof solutionCommitLog>().toEqualTypeOf<keyof typeof stubCommitLog>();
  });

  it("consume-queue.ts", () => {
    expectTypeOf<ShapeOf<typeof stubConsumeQueue, keyof typeof stubConsumeQueue>>().toEqualTypeOf<
      ShapeOf<typeof solutionConsumeQueue, keyof typeof stubConsumeQueue>
    >();
  });

  it("flush.ts", () => {
    expectTypeOf<ShapeOf<typeof stubFlush, keyof typeof stubFlush>>().toEqualTypeOf<
      ShapeOf<typeof solutionFlush, keyof typeof stubFlush>
    >();
    expectTypeOf<keyof typeof solutionFlush>().toEqualTypeOf<keyof typeof stubFlush>();
  });

  it("recovery.ts", () => {
    expectTypeOf<ShapeOf<typeof stubRecovery, keyof typeof stubRecovery>>().toEqualTypeOf<
      ShapeOf<typeof solutionRecovery, keyof typeof stubRecovery>
    >();
  });
});
