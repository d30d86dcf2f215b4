/**
 * The oracle transaction service, which the broker runs in L3.B so that the producer part grades
 * the learner's producer.ts alone. It is what the lab's service should be, minus durability (the
 * broker never crashes in L3.B) and minus the check budget (it never sets a half aside):
 * - a half is kept in memory, at the next offset; a second sendHalf of a transaction it has (the
 *   network duplicated the request) answers the first half's offset, so that one transaction
 *   never has two halves to commit;
 * - the first sendHalf of a message body named in `halfFaults` is answered `error`, as a half
 *   store whose append failed answers: after storing the half ("stored", so a check finds it) or
 *   without it ("lost"). A producer must take either for "not stored, maybe": no local
 *   transaction, no second half;
 * - the first decision (commit or rollback) of a half wins, whoever sends it; every later one is
 *   answered `alreadyResolved` with it; requests for one half are handled one at a time; a
 *   decision the protocol does not have is answered `error` and decides nothing;
 * - a commit appends the real message once, durably, before the reply;
 * - every TIMING.checkIntervalMs, each unresolved half at least max(transactionTimeoutMs, its
 *   immunity) old on the broker's clock is checked: one live producer of its group is asked,
 *   forever until it is resolved.
 * It records every end request with its reply, in order, and the decision of each half, for the
 * checker: who decided, and what the producer side said.
 */
import { HALF_OFFSET, HalfLocks, type Resolution, TIMING, TX_ID } from "#labs/03-transactional-messages/provided.ts";
import type { EndTransactionReply, EndTransactionRequest, SendHalfRequest } from "#labs/shared/broker/protocol.ts";
import { serviceMessage } from "#labs/shared/broker/store.ts";
import type { BrokerSide, TransactionService } from "#labs/shared/broker/transactions.ts";

const DECISIONS: readonly unknown[] = ["commit", "rollback", "unknown"];

export interface OracleHalf {
  producerId: string;
  request: SendHalfRequest;
  storedAtMs: number;
  checks: number;
}

export interface OracleEnd {
  /** The broker's clock when the request arrived. */
  atMs: number;
  from: string;
  request: EndTransactionRequest;
  reply: EndTransactionReply;
}

export interface OracleRecord {
  halves: Map<number, OracleHalf>;
  resolved: Map<number, Exclude<Resolution, "setAside">>;
  ends: OracleEnd[];
}

export function newOracleRecord(): OracleRecord {
  return { halves: new Map(), resolved: new Map(), ends: [] };
}

/** How the oracle's half store fails one sendHalf: after storing the half, or without storing it. */
export type HalfFault = "stored" | "lost";

export function oracleService(
  record: OracleRecord,
  halfFaults: ReadonlyMap<string, HalfFault> = new Map(),
  onFault: (text: string) => void = () => {},
): (side: BrokerSide) => Promise<TransactionService> {
  return async (side) => {
    const locks = new HalfLocks();
    /** Each fault fails one request: the first sendHalf of its body. */
    const pending = new Map(halfFaults);
    const decide = async (request: EndTransactionRequest): Promise<EndTransactionReply> => {
      const half = record.halves.get(request.halfOffset);
      if (
        half === undefined ||
        half.request.transactionId !== request.transactionId ||
        half.request.group !== request.group
      )
        return { kind: "noSuchHalf" };
      // A decision the protocol does not have decides nothing (the checker names it).
      if (!DECISIONS.includes(request.decision))
        return { kind: "error", message: `no such decision: ${String(request.decision)}` };
      const earlier = record.resolved.get(request.halfOffset);
      if (earlier !== undefined) return { kind: "alreadyResolved", outcome: earlier };
      if (request.decision === "unknown") return { kind: "ok", outcome: "pending" };
      if (request.decision === "commit") {
        const properties = { [TX_ID]: half.request.transactionId, [HALF_OFFSET]: String(request.halfOffset) };
        await side.store.append(serviceMessage(half.request, side.env.clock.now(), properties));
      }
      const outcome = request.decision === "commit" ? "committed" : "rolledBack";
      record.resolved.set(request.halfOffset, outcome);
      return { kind: "ok", outcome };
    };
    side.env.clock.setInterval(TIMING.checkIntervalMs, () => {
      const nowMs = side.env.clock.now();
      for (const [halfOffset, half] of record.halves) {
        if (record.resolved.has(halfOffset)) continue;
        if (nowMs - half.storedAtMs < Math.max(TIMING.transactionTimeoutMs, half.request.checkImmunityMs)) continue;
        const live = side.liveProducers(half.request.group);
        if (live.length === 0) continue;
        half.checks++;
        side.sendCheck(side.env.rng.pick(live), {
          type: "checkTransaction",
          group: half.request.group,
          transactionId: half.request.transactionId,
          halfOffset,
          checkTimes: half.checks,
        });
      }
    });
    return {
      async sendHalf(producerId, request) {
        for (const [offset, half] of record.halves) {
          if (half.request.transactionId === request.transactionId && half.request.group === request.group)
            return { kind: "ok", halfOffset: offset };
        }
        const fault = pending.get(request.body);
        pending.delete(request.body);
        if (fault === "lost") {
          onFault(`the half store fails the sendHalf of ${request.body} (nothing stored) and answers error`);
          return { kind: "error", message: "the half store failed: nothing stored" };
        }
        const halfOffset = record.halves.size;
        record.halves.set(halfOffset, { producerId, request, storedAtMs: side.env.clock.now(), checks: 0 });
        if (fault === "stored") {
          onFault(`the half store stores the half of ${request.body} at ${halfOffset}, then fails and answers error`);
          return { kind: "error", message: "the half store failed after the half was stored" };
        }
        return { kind: "ok", halfOffset };
      },
      endTransaction(from, request) {
        return locks.run(request.halfOffset, async () => {
          const atMs = side.env.clock.now();
          const reply = await decide(request);
          record.ends.push({ atMs, from, request, reply });
          return reply;
        });
      },
    };
  };
}
