/**
 * L3.C, the guard: a half has one outcome, the first one, whatever arrives later. A retried commit
 * hears "alreadyResolved: committed", which a producer takes as success; a commit after a rollback
 * or a set-aside hears the same refusal, and changes nothing. RocketMQ's EndTransactionProcessor
 * has no such guard: it re-reads the half and writes the real message again on a duplicate commit
 * (apache/rocketmq#5574), and accepts a commit after a check's rollback (#8158, #2694).
 */
import type {
  EndTransactionReply,
  EndTransactionRequest,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";

export function alreadyResolved(service: ServiceContext, request: EndTransactionRequest): EndTransactionReply | null {
  const outcome = service.resolutions.get(request.halfOffset);
  return outcome === undefined ? null : { kind: "alreadyResolved", outcome };
}
