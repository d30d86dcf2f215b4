/**
 * The stubs and the solution have the same module type, file by file: a contract cannot drift
 * between what the learner is asked to write and what the reference wrote. That half is a type
 * check of the stubs as shipped (stub-types.ts, checked by harness/grade/stub-types.test.ts),
 * never of the learner's src/.
 *
 * This file checks the solution's side, by type (`npm run typecheck`): its exports beyond the
 * learner's. A zoo entry holds a file as a learner writes it, with the stub's exports only, and
 * the solution's other files import that entry's file in place of their sibling: so a solution file
 * may export helpers for zoo entries to import by path (`../../solution/record.ts`), but no
 * solution file may import them from a sibling. These are the helpers; adding one here is a
 * promise that no sibling imports it.
 */
import { describe, expectTypeOf, it } from "vitest";
import type * as commitLog from "./solution/commit-log.ts";
import type * as consumeQueue from "./solution/consume-queue.ts";
import type * as flush from "./solution/flush.ts";
import type * as record from "./solution/record.ts";
import type * as recovery from "./solution/recovery.ts";
import type * as writeBuffer from "./solution/write-buffer.ts";
import type { StubTypes } from "./stub-types.ts";

/** The solution file's exports beyond the learner's. */
type Extra<Solution, F extends keyof StubTypes> = Exclude<keyof Solution, keyof StubTypes[F]>;

describe("lab 01: the solution's exports beyond the learner's are the zoo's helpers", () => {
  it("record.ts", () => {
    expectTypeOf<Extra<typeof record, "record.ts">>().toEqualTypeOf<"checkFieldsFit" | "layOutRecord">();
  });
  it("commit-log.ts", () => {
    expectTypeOf<Extra<typeof commitLog, "commit-log.ts">>().toEqualTypeOf<never>();
  });
  it("consume-queue.ts", () => {
    expectTypeOf<Extra<typeof consumeQueue, "consume-queue.ts">>().toEqualTypeOf<"encodeEntry">();
  });
  it("flush.ts", () => {
    expectTypeOf<Extra<typeof flush, "flush.ts">>().toEqualTypeOf<never>();
  });
  it("recovery.ts", () => {
    expectTypeOf<Extra<typeof recovery, "recovery.ts">>().toEqualTypeOf<
      "abortMarkerFound" | "placeAbortMarker" | "findValidEnd"
    >();
  });
  it("write-buffer.ts", () => {
    expectTypeOf<Extra<typeof writeBuffer, "write-buffer.ts">>().toEqualTypeOf<never>();
  });
});
