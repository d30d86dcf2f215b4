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

/** Each learner file: the stub's module, then the solution's. */
interface Files {
  "record.ts": [typeof stubRecord, typeof solutionRecord];
  "commit-log.ts": [typeof stubCommitLog, typeof solutionCommitLog];
  "consume-queue.ts": [typeof stubConsumeQueue, typeof solutionConsumeQueue];
  "flush.ts": [typeof stubFlush, typeof solutionFlush];
  "recovery.ts": [typeof stubRecovery, typeof solutionRecovery];
}
type Stub<F extends keyof Files> = Files[F][0];
type StubShape<F extends keyof Files> = ShapeOf<Stub<F>, keyof Stub<F>>;
// The stub's names the solution also has: a stub export the solution lacks makes the shapes differ.
type SolutionShape<F extends keyof Files> = ShapeOf<Files[F][1], keyof Stub<F> & keyof Files[F][1]>;
/**
 * The solution's exports beyond the stub's. A zoo entry holds a file as a learner writes it, with
 * the stub's exports only, and the solution's other files import that entry's file in place of
 * their sibling: so a solution file may export helpers for zoo entries to import by path
 * (`../../solution/record.ts`), but no solution file may import them from a sibling. These are the
 * helpers; adding one here is a promise that no sibling imports it. Checked as "at most these",
 * not "exactly these", so that the check holds when a learner's src/ is a copy of the solution.
 */
type Extra<F extends keyof Files> = Exclude<keyof Files[F][1], keyof Stub<F>>;
/** True when every name in T is among U (`never`, no extra at all, is among anything). */
type AtMost<T, U> = [T] extends [U] ? true : false;

describe("lab 01: the stubs and the solution have the same module type", () => {
  it("record.ts", () => {
    expectTypeOf<StubShape<"record.ts">>().toEqualTypeOf<SolutionShape<"record.ts">>();
    expectTypeOf<AtMost<Extra<"record.ts">, "checkFieldsFit" | "layOutRecord">>().toEqualTypeOf<true>();
  });
  it("commit-log.ts", () => {
    expectTypeOf<StubShape<"commit-log.ts">>().toEqualTypeOf<SolutionShape<"commit-log.ts">>();
    expectTypeOf<AtMost<Extra<"commit-log.ts">, never>>().toEqualTypeOf<true>();
  });
  it("consume-queue.ts", () => {
    expectTypeOf<StubShape<"consume-queue.ts">>().toEqualTypeOf<SolutionShape<"consume-queue.ts">>();
    expectTypeOf<AtMost<Extra<"consume-queue.ts">, "encodeEntry">>().toEqualTypeOf<true>();
  });
  it("flush.ts", () => {
    expectTypeOf<StubShape<"flush.ts">>().toEqualTypeOf<SolutionShape<"flush.ts">>();
    expectTypeOf<AtMost<Extra<"flush.ts">, never>>().toEqualTypeOf<true>();
  });
  it("recovery.ts", () => {
    expectTypeOf<StubShape<"recovery.ts">>().toEqualTypeOf<SolutionShape<"recovery.ts">>();
    expectTypeOf<
      AtMost<Extra<"recovery.ts">, "abortMarkerFound" | "placeAbortMarker" | "findValidEnd">
    >().toEqualTypeOf<true>();
  });
});
