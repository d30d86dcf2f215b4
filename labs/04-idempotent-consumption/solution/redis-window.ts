/**
 * L4.D A dedup window in Redis: a processing lease and a done mark in front of the database.
 *
 * The pattern many RocketMQ and RabbitMQ users write, made honest. `SET lease:<key> <me> NX PX`
 * keeps two consumers from doing a key's expensive work at once, and `done:<key>` lets a late
 * duplicate skip it. But Redis cannot be the truth: a lease expires under a paused holder, a done
 * mark expires or is evicted or forgotten in a restart, and a process can die between the
 * database's commit and the mark. So the work itself is the L4.B handler (inbox row and effect in
 * one transaction), and every Redis step only saves work.
 *
 * Assembled in window-with.ts (the order of the steps) from window-parts.ts (each step, with what
 * each Redis failure means).
 */
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "./window-parts.ts";
import { handleWithWindowOf } from "./window-with.ts";

const handleReference = handleWithWindowOf(windowParts);

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  return handleReference(ctx, delivery);
}
