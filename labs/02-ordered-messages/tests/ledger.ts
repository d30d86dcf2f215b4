/**
 * The ledger: the downstream system the consumers' business logic writes to (an order database, a
 * payment service). It is where "processing" takes effect, so it is where the grader watches.
 *
 * It can check fencing tokens, as a database checks a version column: per queue it remembers the
 * highest token it has accepted, and refuses a write carrying a lower one. A write without a token
 * (0) is accepted unchecked, as a system that does not know about fencing would. Whether it checks
 * at all is the part's choice: L2.D grades the locks alone; L2.E adds the tokens.
 */
import type { Env } from "#lab";

export interface ApplyRequest {
  type: "apply";
  queueId: number;
  queueOffset: number;
  key: string;
  messageId: string;
  consumerId: string;
  token: number;
  /** The handler call's place in the history (harness bookkeeping: see `applied` below). */
  opIndex: number;
}

/** `appliedAtMs`: the true simulated time the effect took place (the grader's clock, not a node's). */
export type ApplyReply = { kind: "ok"; appliedAtMs: number } | { kind: "fenced"; newestToken: number };

export const LEDGER = "ledger";

/**
 * @param applied receives the `opIndex` of every effect the ledger accepts, in the order it accepted
 *   them: two effects can take place at the same simulated instant, and only this says which came
 *   first (it is what a fencing token is compared against).
 */
export function openLedger(env: Env, checkTokens: boolean, trueNowMs: () => number, applied: number[]): void {
  const newest = new Map<number, number>();
  env.net.onRequest((_from, request) => {
    const apply = request as ApplyRequest;
    if (checkTokens && apply.token > 0) {
      const highest = newest.get(apply.queueId) ?? 0;
      if (apply.token < highest) return { kind: "fenced", newestToken: highest } satisfies ApplyReply;
      newest.set(apply.queueId, apply.token);
    }
    applied.push(apply.opIndex);
    // To the microsecond, as every time in a report is printed.
    return { kind: "ok", appliedAtMs: Math.round(trueNowMs() * 1000) / 1000 } satisfies ApplyReply;
  });
}
