import { describe, expect, it } from "vitest";
import type { Claim, Transaction } from "../provided.ts";
import { checkAnswers, recordingClaim } from "./check-answers.ts";

const tx = {} as Transaction;

describe("check-answers: answers outside the contracts' words", () => {
  it("takes the two answers each contract names", () => {
    const handler = [
      { who: "the handler of m-1", answer: "done" },
      { who: "the handler of m-2", answer: "retryLater" },
    ];
    const claims = [
      { who: "claim a", answer: "first" },
      { who: "claim b", answer: "seen" },
    ];
    expect(checkAnswers(handler, claims)).toEqual([]);
  });

  it("names the first handler answer that is neither, and the first such claim answer", () => {
    const found = checkAnswers(
      [
        { who: "the handler of m-1", answer: "done" },
        { who: "the handler of m-2", answer: undefined },
        { who: "the handler of m-3", answer: "ok" },
      ],
      [{ who: 'claim(tx, "o1/1") on c1', answer: "" }],
    );
    expect(found.map((a) => a.name)).toEqual(["wrong answer", "wrong answer"]);
    expect(found[0]?.explanation).toContain("the handler of m-2 answered undefined");
    expect(found[1]?.explanation).toContain('claim(tx, "o1/1") on c1 answered ""');
  });

  it("records a claim's answers without changing them, and not its failures", async () => {
    const answers: { who: string; answer: unknown }[] = [];
    let calls = 0;
    const claim = async (_tx: Transaction, key: string): Promise<Claim> => {
      calls++;
      if (key === "bad") throw new Error("conflict");
      return key === "o1/1" ? "first" : "seen";
    };
    const recorded = recordingClaim(claim, "c2", answers);
    expect(await recorded(tx, "o1/1")).toBe("first");
    expect(await recorded(tx, "o2/1")).toBe("seen");
    await expect(recorded(tx, "bad")).rejects.toThrow("conflict");
    await Promise.resolve();
    expect(calls).toBe(3);
    expect(answers).toEqual([
      { who: 'claim(tx, "o1/1") on c2', answer: "first" },
      { who: 'claim(tx, "o2/1") on c2', answer: "seen" },
    ]);
  });
});
