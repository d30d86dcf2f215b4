/**
 * Bug zoo, lab 04: THE DONE MARK IS WRITTEN, NEVER READ.
 *
 * "The lease is enough: a duplicate that comes while the work runs finds the lease taken, and one
 * that comes later finds the inbox row in the database." Correct, and every effect stays single.
 * But the mark is set and then nobody looks at it: every duplicate after the work is done quotes
 * again and runs a database transaction only to be told "seen". Redis then saves nothing the
 * database would not. Every other step is the reference's.
 */
import type { Consumed, Delivery, WindowContext } from "#labs/04-idempotent-consumption/provided.ts";
import { windowParts } from "../../solution/window-parts.ts";
import { handleWithWindowOf } from "../../solution/window-with.ts";

async function seenDone(): Promise<boolean> {
  return false;
}

const handleBuggy = handleWithWindowOf({ ...windowParts, seenDone });

export function handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed> {
  return handleBuggy(ctx, delivery);
}
