/**
 * What the stub promises, by type: the learner's `register.ts` must export what this says, with
 * these types. The stub as shipped is checked against it by harness/grade/stub-types.test.ts
 * (`Shape<typeof stub>` equal to `Shape<StubTypes["register.ts"]>`), which reads the stub from git,
 * never from the learner's src/: a learner's finished file may have helpers and unused names of
 * its own, and the project's tests must stay green for it.
 *
 * Lab 00 keeps the `Register` interface, with its contract, in the one file the learner writes, so
 * that a first-time reader finds everything in one place; the stub's copy is checked through
 * `openRegister`'s result, which is a `Register`.
 */
import type * as solution from "./solution/register.ts";

/** Each learner file, by the solution's module type narrowed to what the learner writes. */
export interface StubTypes {
  "register.ts": Pick<typeof solution, "openRegister">;
}

/** Two modules are compared as they are: the same exports with the same types. */
export type Shape<M> = M;
