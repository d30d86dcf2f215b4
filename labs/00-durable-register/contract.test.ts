/**
 * The stub and the reference solution promise the same thing: the same `Register` interface and
 * the same `openRegister` signature. Lab 00 keeps the interface, with its contract, in the one file
 * the learner writes, so that a first-time reader finds everything in one place; this test is what
 * keeps the two copies from drifting. A change to one and not the other fails when the suite is
 * type-checked (`npm test` runs `tsc --noEmit` first). The solution's other exports are the parts
 * its bug zoo reuses; they are listed here, so that a new export is a decision, not an accident.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type * as solution from "./solution/register.ts";
import type * as stub from "./src/register.ts";

describe("lab 00: the stub and the solution have the same contract", () => {
  it("the Register interface", () => {
    expectTypeOf<stub.Register>().toEqualTypeOf<solution.Register>();
  });

  it("openRegister, the one export the learner must write", () => {
    expectTypeOf<Pick<typeof stub, "openRegister">>().toEqualTypeOf<Pick<typeof solution, "openRegister">>();
  });

  it("the solution's other exports are its named parts, for the bug zoo", async () => {
    // The solution's own names only: a learner's src/ may export helpers of its own.
    const solutionNames = Object.keys(await import("./solution/register.ts"));
    expect(solutionNames.sort()).toEqual([
      "CorruptRegisterError",
      "decode",
      "encode",
      "openRegister",
      "openRegisterWith",
      "readVerified",
      "reference",
      "replaceDurably",
      "writeTemp",
    ]);
  });
});
