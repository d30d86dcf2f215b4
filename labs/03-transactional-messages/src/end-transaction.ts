/**
 * Lab 03, L3.C: exactly one outcome per half. This is your file.
 *
 * The decision half of RocketMQ's EndTransactionProcessor, plus what it lacks: a look at whether
 * the half is already resolved. RocketMQ writes the real message again on a duplicate commit
 * (apache/rocketmq#5574) and accepts a commit after a check's rollback (#8158, #2694). End
 * requests arrive twice (a retry after a lost reply, a duplicated packet) and from two senders at
 * once (the producer's own end and a check's answer): each half must still get one outcome.
 */
import { NotImplemented } from "#lab";
import type {
  EndTransactionReply,
  EndTransactionRequest,
  ServiceContext,
} from "#labs/03-transactional-messages/provided.ts";

/**
 * Handles one end request for a half.
 *
 * Contract:
 * - The half at `request.halfOffset` must exist and belong to `request.transactionId` and
 *   `request.group`; otherwise replies `{ kind: "noSuchHalf" }` and changes nothing (RocketMQ's
 *   checkPrepareMessage).
 * - An unresolved half and the decision "commit": its message becomes visible exactly once
 *   (`service.halves.commit`), `service.resolutions` records "committed", and the reply is
 *   `{ kind: "ok", outcome: "committed" }`, sent only once the commit is durable. "rollback"
 *   likewise with `service.halves.rollback` and "rolledBack". "unknown": nothing changes,
 *   `{ kind: "ok", outcome: "pending" }`.
 * - A half already resolved (by an earlier end request, a check answer, or set aside): nothing
 *   changes and the reply is `{ kind: "alreadyResolved", outcome }` with the first outcome,
 *   whatever this request asked. A commit retried after a lost reply gets "alreadyResolved:
 *   committed" (success, for the producer); a commit after a rollback, or after a set-aside, is
 *   refused the same way.
 * - Requests for one half that arrive together (a duplicate, a producer's end racing a check
 *   answer) take effect one after the other: the second sees the first's outcome. Requests for
 *   different halves do not wait for each other. (`service.locks` is there for that.)
 * - If the commit or rollback throws, replies `{ kind: "error" }` and records nothing.
 *
 * @param service the broker, the index of resolved halves, your half store (L3.A), locks.
 */
export async function endTransaction(
  service: ServiceContext,
  request: EndTransactionRequest,
): Promise<EndTransactionReply> {
  // YOUR CODE HERE (L3.C)
  void service;
  void request;
  throw new NotImplemented("L3.C");
}
