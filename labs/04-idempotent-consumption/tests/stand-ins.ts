/**
 * The grader's stand-ins for the learner files a part does not grade (docs/design/lab-04.md,
 * section 2.3): small, plainly correct versions, so that a stub in one file never breaks the grade
 * of another. They are grader code: stand-ins.test.ts holds each to its contract.
 */
import {
  type Claim,
  type Consumed,
  DatabaseError,
  type Delivery,
  type HandlerContext,
  type OffsetTracker,
  type OrderEvent,
  TABLES,
  type Transaction,
} from "#labs/04-idempotent-consumption/provided.ts";

/** L4.A's stand-in: the operation's name, `orderId/step`. */
export function standInKey(delivery: Delivery): string {
  return standInKeyOf(delivery.event);
}

/** The stand-in key of an event (the inbox key a claim is given in parts L4.B and L4.C). */
export function standInKeyOf(event: Pick<OrderEvent, "orderId" | "step">): string {
  return `${event.orderId}/${event.step}`;
}

/** L4.C's stand-in: the database decides (INSERT ... ON CONFLICT DO NOTHING waits for a rival claim). */
export async function standInClaim(tx: Transaction, key: string): Promise<Claim> {
  return (await tx.insertIfAbsent(TABLES.inbox, key, true)) ? "first" : "seen";
}

/** L4.B's stand-in: claim and effect in one transaction; "retryLater" for any database failure. */
export async function standInHandle(ctx: HandlerContext, delivery: Delivery): Promise<Consumed> {
  try {
    await ctx.db.transaction(async (tx) => {
      if ((await ctx.claim(tx, ctx.businessKey(delivery))) === "first") await ctx.apply(tx, delivery);
    });
    return "done";
  } catch (error) {
    // Every database failure may be retried: the claim makes a second run safe.
    if (error instanceof DatabaseError) return "retryLater";
    throw error;
  }
}

/** L4.E's stand-in: the in-flight offsets as a set; the lowest, or one past the highest received. */
export function standInTracker(): OffsetTracker {
  const inFlight = new Set<number>();
  let end: number | null = null;
  return {
    received(offsets) {
      for (const offset of offsets) inFlight.add(offset);
      const last = offsets.at(-1);
      if (last !== undefined) end = Math.max(end ?? 0, last + 1);
    },
    finished(offset) {
      inFlight.delete(offset);
    },
    committable() {
      return inFlight.size > 0 ? Math.min(...inFlight) : end;
    },
  };
}
