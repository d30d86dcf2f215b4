/**
 * The stub and the reference solution promise the same thing: the same `openRegister`, returning
 * the same `Register`. That half is a type check of the stub as shipped (stub-types.ts, checked by
 * harness/grade/stub-types.test.ts), never of the learner's src/. This file checks the solution's
 * side: its other exports are the parts its bug zoo reuses; they are listed here, so that a new
 * export is a decision, not an accident.
 */
import { describe, expect, it } from "vitest";

describe("lab 00: the solution's exports", () => {
  it("the solution's other exports are its named parts, for the bug zoo", async () => {
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
