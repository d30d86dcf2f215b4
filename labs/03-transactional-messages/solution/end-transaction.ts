/**
 * L3.C Exactly one outcome per half, however many end requests arrive for it.
 *
 * An end request is the producer (or its answer to a check) saying what came of a transaction.
 * Requests arrive twice (a retry after a lost reply, a duplicated packet), from two senders at
 * once (the producer's own end and a check's answer), and late (a commit after a check already
 * rolled the half back). The first decision the broker acts on is the half's outcome, forever:
 * later requests are answered with it and change nothing, and requests for one half are handled
 * one after the other so that "first" means something. See end-with.ts for the steps.
 */
import type {
  EndTransactionReply,
  EndTransactionRequest,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";
import { endTransactionWith } from "./end-with.ts";
import { endParts } from "./parts.ts";

const endWith = endTransactionWith(endParts);

export function endTransaction(service: ServiceContext, request: EndTransactionRequest): Promise<EndTransactionReply> {
  return endWith(service, request);
}
