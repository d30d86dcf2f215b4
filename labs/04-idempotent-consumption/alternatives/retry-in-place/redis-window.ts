/** Not written: L4.D is not built yet (the lab is under construction). */
import { NotImplemented } from "#lab";
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";

export async function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  void ctx;
  void delivery;
  throw new NotImplemented("L4.D");
}
