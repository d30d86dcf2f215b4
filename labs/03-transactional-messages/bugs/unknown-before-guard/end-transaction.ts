/**
 * Bug zoo, lab 03: "UNKNOWN" IS ANSWERED BEFORE THE GUARD.
 *
 * The reference end handler with its steps reordered: a request whose decision is "unknown" is
 * answered `ok pending` as soon as the half is identified, before the handler looks at whether the
 * half is resolved. "Unknown changes nothing, so there is nothing to lock and nothing to look up."
 *
 * It changes nothing, but its reply still has to be true. A check answered "unknown" (the producer
 * could not reach its database) for a half whose producer's own commit was already acknowledged
 * hears "pending": the broker says the half is undecided when it told another request it was
 * committed. A producer or an operator acting on that reply (ending it again, alerting on a stuck
 * transaction) is misled. The fix: identify, lock, then answer every request, "unknown" included,
 * with the first outcome if there is one.
 */
import type { ServiceParts } from "#labs/03-transactional-messages/provided.ts";
import { endTransaction as reference } from "../../solution/end-transaction.ts";
import { identifyHalf } from "../../solution/end-with.ts";

/** The reference's handler (a service part, as `ServiceParts` types it), except for "unknown". */
export const endTransaction: ServiceParts["endTransaction"] = async (service, request) => {
  if (request.decision !== "unknown") return reference(service, request);
  const half = await identifyHalf(service, request);
  // The bug: "unknown" is answered as soon as the half is identified, before the guard.
  return half === null ? { kind: "noSuchHalf" } : { kind: "ok", outcome: "pending" };
};
