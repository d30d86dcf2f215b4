/**
 * Bug zoo, lab 04: A DONE MARK AND NO LEASE.
 *
 * "The done mark is the dedup; the database catches whatever slips past it. A lease is overkill."
 * The effect stays single (the inbox row sees to that), but two consumers handed the same
 * operation at once both find no mark, and both quote it: the slow work the lease is there to
 * keep to one consumer at a time is done twice. Every other step is the reference's; there is
 * simply no lease to take or to give back.
 */
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";
import { handleWithWindowOf, type Lease } from "../../solution/window-with.ts";

async function takeLease(): Promise<Lease> {
  // Nothing asked of Redis: the handler goes on as it does when Redis cannot be reached.
  return "noRedis";
}

const handleBuggy = handleWithWindowOf({ ...windowParts, takeLease });

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  return handleBuggy(ctx, delivery);
}
