/**
 * Which lab `lab grade` picks when none is named: never one under construction.
 */
import { describe, expect, it } from "vitest";
import { defaultLabOf } from "./labs.ts";

const lab = (id: string, underConstruction?: string) => ({
  id,
  manifest: underConstruction === undefined ? {} : { underConstruction },
});

describe("the lab graded by default", () => {
  const labs = [lab("00"), lab("01"), lab("04", "its workloads are not built yet")];

  it("is the first lab not yet passed", () => {
    expect(defaultLabOf(labs, (l) => l.id === "00")?.id).toBe("01");
  });

  it("is never a lab under construction, even when every other lab has passed", () => {
    expect(defaultLabOf(labs, (l) => l.id !== "04")?.id).toBe("00");
  });

  it("is none when every lab is under construction", () => {
    expect(defaultLabOf([lab("04", "not built")], () => false)).toBeUndefined();
  });
});
