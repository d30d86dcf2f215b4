/**
 * What the stubs promise, by type: each learner file must export the names listed here, with the
 * solution's types. The stubs as shipped are checked against it by harness/grade/stub-types.test.ts
 * (`Shape<typeof stub>` equal to `Shape<StubTypes[file]>`), which reads them from git, never from
 * the learner's src/: a learner's finished files may have helpers and unused names of their own,
 * and the project's tests must stay green for them.
 *
 * What "the same" means: every export has the same type, except that a class is compared by what
 * its users can reach (its constructor's parameters, its public static and instance members), not
 * by its private and protected members: those are the implementation's own business, and the
 * solution has helpers the stub does not.
 */
import type * as commitLog from "./solution/commit-log.ts";
import type * as consumeQueue from "./solution/consume-queue.ts";
import type * as flush from "./solution/flush.ts";
import type * as record from "./solution/record.ts";
import type * as recovery from "./solution/recovery.ts";
import type * as writeBuffer from "./solution/write-buffer.ts";

/** Each learner file, by the solution's module type narrowed to the names the learner writes. */
export interface StubTypes {
  "record.ts": Pick<typeof record, "encodeRecord" | "encodeEndMarker" | "decodeRecord">;
  "commit-log.ts": Pick<typeof commitLog, "CommitLog">;
  "consume-queue.ts": Pick<typeof consumeQueue, "ConsumeQueueStore">;
  "flush.ts": Pick<typeof flush, "GroupCommit" | "AsyncFlusher">;
  "recovery.ts": Pick<typeof recovery, "recoverIfNeeded" | "markCleanShutdown" | "recover">;
  "write-buffer.ts": Pick<typeof writeBuffer, "BufferedDisk">;
}

/** A module's exports as their users see them: classes by their shape, everything else by its type. */
export type Shape<M> = {
  [K in keyof M]: M[K] extends abstract new (...args: never[]) => unknown ? ClassShape<M[K]> : Reachable<M[K]>;
};

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
