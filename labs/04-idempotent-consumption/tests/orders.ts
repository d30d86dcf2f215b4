/**
 * The order book a lab 04 workload publishes: a few orders, each a short story of operations
 * (charge, refund, charge again, ship), interleaved across orders as a shop's traffic would be.
 *
 * The shapes are drawn so that every wrong business key meets the operations that expose it: two
 * charges of one order (a key by order id, or by order and kind, merges them), equal amounts
 * within an order and across orders (a key by amount), several orders per customer (a key by
 * customer and step), and order ids of several lengths.
 */
import fc from "fast-check";
import { plural } from "#harness/words.ts";
import type { OrderEvent } from "../provided.ts";

/** One operation the producer publishes, without the send time (the producer stamps each copy). */
export type PlannedEvent = Omit<OrderEvent, "sentAtMs">;

/** The stories an order can tell, as the kinds of its steps in order. */
const STORIES: readonly (readonly OrderEvent["kind"][])[] = [
  ["charge"],
  ["charge", "ship"],
  ["charge", "charge", "ship"],
  ["charge", "refund", "charge"],
  ["charge", "refund", "charge", "ship"],
];
const CUSTOMERS = ["alice", "bob", "carol"];
const AMOUNTS_CENTS = [500, 900, 2500];

interface OrderDraw {
  idNumber: number;
  story: number;
  customer: number;
  amounts: number[];
}

const orderArb: fc.Arbitrary<OrderDraw> = fc.record({
  idNumber: fc.integer({ min: 1, max: 120 }),
  story: fc.integer({ min: 0, max: STORIES.length - 1 }),
  customer: fc.integer({ min: 0, max: CUSTOMERS.length - 1 }),
  amounts: fc.array(fc.integer({ min: 0, max: AMOUNTS_CENTS.length - 1 }), { minLength: 4, maxLength: 4 }),
});

/**
 * Orders `ordersMin` to `ordersMax`, their operations interleaved: `picks` says which unfinished
 * order sends its next step, so each order's steps keep their order.
 */
export function orderBookArb(ordersMin: number, ordersMax: number): fc.Arbitrary<PlannedEvent[]> {
  return fc
    .record({
      orders: fc.uniqueArray(orderArb, { minLength: ordersMin, maxLength: ordersMax, selector: (o) => o.idNumber }),
      picks: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
    })
    .map(({ orders, picks }) => interleave(orders.map(eventsOf), picks));
}

function eventsOf(order: OrderDraw): PlannedEvent[] {
  const kinds = STORIES[order.story] ?? ["charge"];
  return kinds.map((kind, i) => ({
    orderId: `o${order.idNumber}`,
    step: i + 1,
    kind,
    customer: CUSTOMERS[order.customer] ?? "alice",
    amountCents: kind === "ship" ? 0 : (AMOUNTS_CENTS[order.amounts[i] ?? 0] ?? 500),
  }));
}

function interleave(orders: PlannedEvent[][], picks: readonly number[]): PlannedEvent[] {
  const queues = orders.map((events) => [...events]);
  const out: PlannedEvent[] = [];
  for (let n = 0; queues.some((q) => q.length > 0); n++) {
    const open = queues.filter((q) => q.length > 0);
    const next = open[(picks[n % picks.length] ?? 0) % open.length]?.shift();
    if (next !== undefined) out.push(next);
  }
  return out;
}

/** The customers of an order book (their balance rows are opened before the first message). */
export function customersOf(events: readonly PlannedEvent[]): string[] {
  return [...new Set(events.map((e) => e.customer))].sort();
}

/** "order o17 step 2 (charge 2500)". */
export function describeEvent(event: Pick<OrderEvent, "orderId" | "step" | "kind" | "amountCents">): string {
  return `order ${event.orderId} step ${event.step} (${event.kind} ${event.amountCents})`;
}

/** "12 operations over 4 orders (o3: charge, refund, charge; ...)". */
export function describeOrderBook(events: readonly PlannedEvent[]): string {
  const byOrder = new Map<string, string[]>();
  for (const e of events) byOrder.set(e.orderId, [...(byOrder.get(e.orderId) ?? []), `${e.kind} ${e.amountCents}`]);
  const stories = [...byOrder].map(([order, steps]) => `${order}: ${steps.join(", ")}`);
  return `${plural(events.length, "operation")} over ${plural(byOrder.size, "order")} (${stories.join("; ")})`;
}
