/**
 * L4.D A dedup window in Redis: UNDER CONSTRUCTION (docs/design/lab-04.md, section 3.4). The
 * reference is written with the part's workload; until then it answers as the stub does.
 */
import { NotImplemented } from "#lab";
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";

export async function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  void ctx;
  void delivery;
  throw new NotImplemented("L4.D");
}
