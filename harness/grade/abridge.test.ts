import { describe, expect, it } from "vitest";
import { abridge } from "./grade-part.ts";

describe("abridging a long timeline", () => {
  it("keeps short timelines whole", () => {
    const lines = ["  a", "  b", "> c"];
    expect(abridge(lines, 10)).toEqual(lines);
  });

  it("never drops an involved operation or a fault, and says how much it cut", () => {
    const lines = Array.from({ length: 200 }, (_, i) => `  ${i}: client op`);
    lines[57] = "> 57: the acknowledged write";
    lines[120] = "      120.000ms  !! n1 loses power";
    lines[150] = "> 150: the read that lost it";
    const short = abridge(lines, 40);
    expect(short.length).toBeLessThan(60);
    for (const must of [lines[57], lines[120], lines[150], lines[0], lines[199]]) expect(short).toContain(must);
    expect(short.some((line) => /\.\.\. \d+ more lines \(the replay has them all\)/.test(line))).toBe(true);
  });
});
