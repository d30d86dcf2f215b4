/**
 * An anomaly: a broken guarantee, named, explained in plain words, with the operations involved.
 *
 * Checkers return a list of these; an empty list means the history is consistent with the
 * guarantee. Names are a small shared vocabulary (Jepsen's, where it has one) so that a learner
 * meets the same word for the same failure in every lab.
 */
import type { Op } from "../workloads/history.ts";

export type AnomalyName =
  | "lost write" // acknowledged, then gone
  | "stale read" // an older value came back after a newer one was acknowledged
  | "garbage read" // a value that was never written came back
  | "corruption passed through" // damaged bytes were returned as if valid
  | "duplicate" // one write, seen twice
  | "reorder" // seen in an order the guarantee forbids
  | "hole" // a gap in what should be dense
  | "wrong answer" // a plain functional error, no fault needed
  | "not live" // after the faults healed, the system did not recover
  | "overlap" // two things that must never run at once did
  | "visible before commit"
  | "applied twice"
  | "too slow" // a throughput or cost goal was missed
  | "wasted work" // work redone that a mark the system held said was done (a cache that did not save)
  | "lease kept" // a lease its holder was done with, left to expire: everyone else waited for nothing
  | "key without expiry" // a lease or mark set with no expiry: kept forever (a dead holder blocks its key for good)
  | "rewound below the committed offset" // a consumer started before where its group had committed
  | "processed without the lock" // work done outside the lease (or after the release) that guards it
  | "head-of-line blocking" // one stuck item held back others that did not depend on it
  | "aborted read" // Jepsen's G1a: a message of a rolled-back, aborted, set-aside or never-committed transaction was read
  | "conflicting outcomes" // one transaction was given two different outcomes (two replies, or commit and rollback sent)
  | "unresolved half" // once faults healed and the check budget ran out, a half was neither resolved nor set aside
  | "premature check" // a half was checked before the transaction timeout (or its immunity) had passed on the broker's clock
  | "redundant check" // a half was checked after the broker had acknowledged its resolution
  | "wasted check" // a half's check budget misspent: set aside before its full count reached a live producer, or checked past it
  | "zombie write" // a batch was appended with a producer epoch older than one already issued for its transactional id
  | "hanging transaction" // after faults healed, a partition's last stable offset stayed below its high watermark
  | "timeout not enforced" // a transaction open past its timeout went on: its producer's add or commit was accepted
  | "committed past unfinished" // an offset commit moved past a message that was still being handled
  | "offset held back" // a commit stayed below what was safe to commit, so a crash would redeliver finished work
  | "zombie commit"; // an offset commit from a consumer of an older group generation took effect

export interface Anomaly {
  name: AnomalyName;
  /** One or more sentences a learner can act on: what was expected, what happened. */
  explanation: string;
  /** The operations involved, oldest first. */
  ops: Op[];
}

export function anomaly(name: AnomalyName, explanation: string, ops: Op[] = []): Anomaly {
  return { name, explanation, ops: [...ops].sort((a, b) => a.index - b.index) };
}

/**
 * Empty lists, one for each kind of anomaly a checker sorts its findings into. The checker reports
 * them in the order of `kinds` (`kinds.flatMap((kind) => found[kind])`), most serious first, so
 * that its report leads with what matters most whatever order its checks ran in.
 */
export function anomalyLists<TKind extends string>(kinds: readonly TKind[]): Record<TKind, Anomaly[]> {
  return Object.fromEntries(kinds.map((kind) => [kind, []])) as unknown as Record<TKind, Anomaly[]>;
}
