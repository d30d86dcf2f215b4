/**
 * The key checker reads the contract of `businessKey` from deliveries: one key per operation
 * whatever the copy, one operation per key, strings without NUL.
 */
import { describe, expect, it } from "vitest";
import type { Delivery } from "../provided.ts";
import { checkKeys, gluedFieldProbes } from "./check-keys.ts";

function delivery(messageId: string, orderId: string, step: number, queueOffset: number): Delivery {
  return {
    messageId,
    queueId: 1,
    queueOffset,
    key: orderId,
    event: { orderId, step, kind: "charge", customer: "bob", amountCents: 900, sentAtMs: queueOffset },
    reconsumeTimes: 0,
  };
}

const first = delivery("m-1", "o7", 1, 0);
const resend = delivery("m-4", "o7", 1, 3);
const secondStep = delivery("m-2", "o7", 2, 1);

describe("the key checker", () => {
  it("passes a key that names the operation", () => {
    const key = (d: Delivery) => `${d.event.orderId}/${d.event.step}`;
    expect(checkKeys([first, resend, secondStep, ...gluedFieldProbes()], key)).toEqual([]);
  });

  it("names a resend that got another key", () => {
    const found = checkKeys([first, secondStep, resend], (d) => d.messageId);
    expect(found.map((a) => a.name)).toEqual(["wrong answer"]);
    expect(found[0]?.explanation).toContain("order o7 step 1 (charge 900) got two keys");
    expect(found[0]?.explanation).toContain("a resend of the same operation under a new message id");
  });

  it("names two operations that share a key", () => {
    const found = checkKeys([first, secondStep], (d) => d.event.orderId);
    expect(found).toHaveLength(1);
    expect(found[0]?.explanation).toContain('two operations got the same key "o7"');
  });

  it("finds a key glued without a separator through its probes", () => {
    const found = checkKeys(gluedFieldProbes(), (d) => `${d.event.orderId}${d.event.step}`);
    expect(found[0]?.explanation).toContain('"o112"');
  });

  it("refuses a key that is not a string, or holds a NUL", () => {
    expect(checkKeys([first], () => 17)[0]?.explanation).toContain("returned a number");
    expect(checkKeys([first], () => "o7\u00001")[0]?.explanation).toContain("NUL");
  });
});
