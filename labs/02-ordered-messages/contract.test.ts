/**
 * The stubs and the reference solution have the same module type, file by file. That half is a
 * type check of the stubs as shipped (stub-types.ts, checked by harness/grade/stub-types.test.ts),
 * never of the learner's src/. This file checks at run time that the solution exports what the
 * grader asks of a learner; it reads the solution only, never the learner's src/, whose work is
 * theirs (see harness/grade/shipped.ts).
 */
import { describe, expect, it } from "vitest";
import lab from "./lab.ts";

describe("lab 02: the solution's exports", () => {
  it("the solution's files export every name the grader asks of a learner", async () => {
    const exported = new Set<string>();
    for (const file of lab.files) {
      for (const name of Object.keys(await import(/* @vite-ignore */ `./solution/${file}`))) exported.add(name);
    }
    for (const name of lab.exports) expect(exported.has(name), name).toBe(true);
  });
});
