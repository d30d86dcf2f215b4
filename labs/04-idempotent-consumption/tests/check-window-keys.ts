/**
 * Part L4.D's checks of the window's own keys, read from Redis's command history: what a lease and
 * a done mark must carry, and that a lease is given back. The contract names the commands
 * (`SET leaseKey NX PX leaseMs`, `SET doneKey "1" PX windowMs`, release with `delIfEquals` "in every
 * case"); these checks hold a window to the parts of them that matter to other consumers and to
 * Redis, never to the order or shape of the calls.
 *
 * Anomalies, each with a minimal counterexample:
 * - `key without expiry`: c1 ran SET done:o1/2 1 at 40 ms with no PX, and no PEXPIRE of it
 *   followed. Redis keeps such a key until it is deleted: done marks pile up forever, and a lease
 *   whose holder dies blocks its key forever. (SET then PEXPIRE in the next command is allowed;
 *   a crash or a cut between the two is exactly why the contract asks for one SET ... PX.)
 * - `wrong answer`, a key the contract does not name: c1 ran SET lock:o1/2 c1 NX PX 100 at 10 ms.
 *   The contract names the window's two keys (`leaseKey(key)`, `doneKey(key)`), and every check
 *   here and in check-window.ts reads Redis's history by those names: a window that keeps its lease
 *   or mark under another name would pass them unseen.
 * - `lease kept`: c1 took lease:o1/2 at 10 ms, answered "retryLater" for it at 30 ms with Redis
 *   answering it normally, and the lease stayed until it expired at 110 ms: for 80 ms every
 *   consumer handed o1/2 heard "busy". Release it in every case once the work is over.
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import type { RedisRecord } from "#harness/sim/redis.ts";
import { formatMs } from "#harness/sim/trace.ts";
import { doneKey, leaseKey } from "../provided.ts";
import type { Handling, Tenure } from "./check-window.ts";
import { calmFor, type RedisTroubles, serverAtMs } from "./redis-troubles.ts";

/** `wrong answer`: the first command on a key that is neither a lease nor a done mark. */
export function checkKeyNames(history: readonly RedisRecord[]): Anomaly[] {
  const stray = history.find((r) => !r.command.key.startsWith(leaseKey("")) && !r.command.key.startsWith(doneKey("")));
  if (stray === undefined) return [];
  return [
    anomaly(
      "wrong answer",
      `${stray.nodeId} ran ${stray.command.op.toUpperCase()} ${stray.command.key} at ${formatMs(stray.serverMs)} (Redis's clock): the window's keys are named by the contract, \`${leaseKey("<key>")}\` for the lease and \`${doneKey("<key>")}\` for the done mark (\`leaseKey(key)\`, \`doneKey(key)\`), and the grader reads Redis's history by those names. Use them, and no other key`,
    ),
  ];
}

/**
 * `key without expiry`: a SET of a lease or done mark with no PX, not followed by a PEXPIRE of that
 * key from the same consumer within `graceMs` (Redis's clock). Said once per kind of key.
 */
export function checkKeysWithoutExpiry(history: readonly RedisRecord[], graceMs: number): Anomaly[] {
  const out: Anomaly[] = [];
  const said = new Set<string>();
  for (const [index, record] of history.entries()) {
    const { command } = record;
    if (command.op !== "set" || command.pxMs !== null || record.result !== "OK") continue;
    const kind = command.key.startsWith(leaseKey(""))
      ? "lease"
      : command.key.startsWith(doneKey(""))
        ? "done mark"
        : null;
    if (kind === null || said.has(kind)) continue;
    const expiredLater = history
      .slice(index + 1)
      .some(
        (r) =>
          r.nodeId === record.nodeId &&
          r.command.key === command.key &&
          (r.command.op === "pexpire" || r.command.op === "pexpireIfEquals") &&
          r.serverMs <= record.serverMs + graceMs,
      );
    if (expiredLater) continue;
    said.add(kind);
    const forever =
      kind === "lease"
        ? "if its holder dies before releasing it, no consumer can ever take the key's work again"
        : "every operation's mark stays in Redis forever, and its memory only grows";
    out.push(
      anomaly(
        "key without expiry",
        `${record.nodeId} set ${command.key} at ${formatMs(record.serverMs)} (Redis's clock) with no expiry (SET without PX), and no PEXPIRE of it followed: Redis keeps such a key until someone deletes it, so ${forever}. Set it with its expiry in the same command: SET ${command.key} ... PX ${kind === "lease" ? "leaseMs" : "windowMs"}`,
      ),
    );
  }
  return out;
}

/**
 * `lease kept`: a lease its holder took during one handler call and left to expire, although the
 * call answered with Redis answering that consumer normally (so a release could get through) and
 * the lease outlived the answer by more than `graceMs`. Not findings: a call that never answered
 * (its consumer died or the run ended), a lease that expired, was overwritten or was lost to Redis
 * before the answer plus `graceMs`, a lease its consumer may have taken for another call of the
 * same key (a lease is its consumer's), a run that ended within `graceMs` of the answer.
 */
export function checkKeptLeases(
  tenures: readonly Tenure[],
  handlings: readonly Handling[],
  troubles: RedisTroubles,
  graceMs: number,
  runEndMs: number,
): Anomaly[] {
  const out: Anomaly[] = [];
  for (const tenure of tenures) {
    if (tenure.endedBy !== null && tenure.endedBy.kind !== "expiry") continue;
    const key = tenure.key.slice(leaseKey("").length);
    const ofKey = handlings.filter((h) => h.consumer === tenure.owner && h.key === key);
    const during = ofKey.filter(
      (h) => serverAtMs(troubles, h.fromMs) <= tenure.fromMs && tenure.fromMs <= serverAtMs(troubles, h.toMs),
    );
    if (during.length !== 1) continue;
    const [call] = during;
    if (call === undefined || !call.answered || call.toMs + graceMs > runEndMs) continue;
    const answeredServerMs = serverAtMs(troubles, call.toMs);
    const endServerMs = tenure.endMs ?? Number.POSITIVE_INFINITY;
    if (endServerMs <= answeredServerMs + graceMs) continue;
    // Another call of the same key on the same consumer, after this one, may rightly hold it.
    if (ofKey.some((h) => h !== call && h.fromMs <= call.toMs + graceMs && h.toMs >= call.fromMs)) continue;
    if (!calmFor(troubles, call.consumer, call.fromMs, call.toMs + graceMs)) continue;
    const until = tenure.endMs === null ? "to the end of the run" : `until it expired at ${formatMs(tenure.endMs)}`;
    out.push(
      anomaly(
        "lease kept",
        `${tenure.owner} took ${tenure.key} at ${formatMs(tenure.fromMs)} while handling message ${call.messageId}, answered ${call.done ? '"done"' : '"retryLater"'} at ${formatMs(answeredServerMs)} with Redis answering it normally, and never released the lease: it stayed ${until}, and every consumer handed ${key} meanwhile heard "busy". Times on Redis's clock. Release the lease in every case once the work is over (compare-and-delete, so that you never free another consumer's)`,
      ),
    );
    break;
  }
  return out;
}
