/**
 * L4.A's direct check of the business key, over every delivery the run handed to a handler. The
 * effect checker sees a wrong key only when it did harm in this run (a resend applied twice, a
 * second step skipped); this one reads the contract itself:
 * - every delivery of one operation (order id and step) got the same key, whatever its message
 *   id, offset, queue, send time or retry count;
 * - two operations never got the same key;
 * - a key is a string without a NUL character.
 * Besides the run's deliveries, it asks the key of two operations the grader builds whose order
 * ids prefix one another (order o1 step 12, order o11 step 2): a key that glues the two fields
 * together without a separator gives both "o112".
 * Counterexample: "wrong answer: order o17 step 2 (charge 2500) got two keys: 'm-5' for message
 * m-5 at orders/1:4 and 'm-9' for message m-9 at orders/1:7 (a resend of the same operation under a
 * new id). A key must name the operation, not the message."
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { type Delivery, TOPIC } from "../provided.ts";
import { operationOf } from "./check-effects.ts";
import { describeEvent } from "./orders.ts";

const PROBE_PREFIX = "probe-";

function where(delivery: Delivery): string {
  if (delivery.messageId.startsWith(PROBE_PREFIX)) return "a delivery the grader built to try your key";
  return `message ${delivery.messageId} at ${TOPIC}/${delivery.queueId}:${delivery.queueOffset}`;
}

/**
 * Checks the keys `keyOf` gives the deliveries. `keyOf` is the learner's function; a throw that is
 * not a programming error is reported, not rethrown (the contract allows none).
 */
export function checkKeys(deliveries: readonly Delivery[], keyOf: (delivery: Delivery) => unknown): Anomaly[] {
  const found: Anomaly[] = [];
  const keyByOperation = new Map<string, { key: string; delivery: Delivery }>();
  const operationByKey = new Map<string, Delivery>();
  for (const delivery of deliveries) {
    const key = keyOf(delivery);
    if (typeof key !== "string" || key.includes("\u0000")) {
      const what = typeof key === "string" ? "a string with a NUL character" : `a ${typeof key}`;
      found.push(
        anomaly("wrong answer", `businessKey returned ${what} for ${where(delivery)}: a key is a string without NUL`),
      );
      return found;
    }
    const operation = operationOf(delivery.event);
    const seen = keyByOperation.get(operation);
    if (seen === undefined) keyByOperation.set(operation, { key, delivery });
    else if (seen.key !== key) {
      found.push(
        anomaly(
          "wrong answer",
          `${describeEvent(delivery.event)} got two keys: ${JSON.stringify(seen.key)} for ${where(seen.delivery)} and ${JSON.stringify(key)} for ${where(delivery)} (${howTheyDiffer(seen.delivery, delivery)}). A key must name the operation, whatever copy of it comes`,
        ),
      );
      keyByOperation.set(operation, { key, delivery });
    }
    const other = operationByKey.get(key);
    if (other === undefined) operationByKey.set(key, delivery);
    else if (operationOf(other.event) !== operation) {
      found.push(
        anomaly(
          "wrong answer",
          `two operations got the same key ${JSON.stringify(key)}: ${describeEvent(other.event)} (${where(other)}) and ${describeEvent(delivery.event)} (${where(delivery)}); the second would be skipped as a duplicate of the first`,
        ),
      );
    }
  }
  return found;
}

function howTheyDiffer(a: Delivery, b: Delivery): string {
  if (a.messageId !== b.messageId) return "a resend of the same operation under a new message id";
  if (a.queueOffset !== b.queueOffset || a.queueId !== b.queueId)
    return "the same message stored twice, at two offsets";
  if (a.reconsumeTimes !== b.reconsumeTimes) return "the same message, handed out again";
  return "the same delivery, asked twice";
}

/** Two operations whose fields, glued together, read the same: order o1 step 12 and order o11 step 2. */
export function gluedFieldProbes(): Delivery[] {
  const probe = (orderId: string, step: number, messageId: string): Delivery => ({
    messageId,
    queueId: 0,
    queueOffset: 1_000 + step,
    key: orderId,
    event: { orderId, step, kind: "charge", customer: "alice", amountCents: 500, sentAtMs: 0 },
    reconsumeTimes: 0,
  });
  return [probe("o1", 12, `${PROBE_PREFIX}1`), probe("o11", 2, `${PROBE_PREFIX}2`)];
}
