/**
 * Lab 03, correct alternative `idempotent-commit` (docs/design/lab-03.md, section 8, alternative
 * 2): recovery written from the stub's contract, differently from the reference.
 *
 * How it differs: it writes nothing. The reference finishes a commit a crash cut in two (real
 * message written, op record not) by appending the missing op before the broker serves. Here the
 * real message itself is taken as the record of the commit: an op record is only a note that
 * saves looking further, so a half whose real message is on disk counts as committed at every
 * start, from that message, whether or not its note was ever written. Start-up only reads.
 *
 * Why it is correct: what clients can tell apart is the index the service starts with, and that
 * is the same: a half with a real message is "committed" (never checked into a second copy,
 * never rolled back or set aside: consumers may already have its message), an acknowledged op or
 * set-aside is known again, and a half with none of these stays open to be checked. The disk is
 * never changed by a start, so a crash inside recovery has nothing to leave half done.
 */
import {
  type BrokerSide,
  HALF_OFFSET,
  HALF_TOPIC,
  OP_TOPIC,
  OUTCOME,
  type Resolution,
  Resolutions,
  SET_ASIDE_TOPIC,
} from "#labs/03-transactional-messages/provided.ts";

/** What the disk holds about one half, whatever order the queues are visited in. */
interface Traces {
  noted?: "committed" | "rolledBack";
  setAside: boolean;
  messageWritten: boolean;
}

export async function recoverResolutions(broker: BrokerSide): Promise<Resolutions> {
  const byHalf = new Map<number, Traces>();
  const tracesOf = (halfOffset: number): Traces => {
    let traces = byHalf.get(halfOffset);
    if (traces === undefined) {
      traces = { setAside: false, messageWritten: false };
      byHalf.set(halfOffset, traces);
    }
    return traces;
  };
  // One pass over the store: every queue once, system and real alike.
  await broker.store.scan((message) => {
    const named = message.properties[HALF_OFFSET];
    if (named === undefined) return;
    const traces = tracesOf(Number(named));
    if (message.topic === OP_TOPIC) {
      traces.noted = message.properties[OUTCOME] === "rollback" ? "rolledBack" : "committed";
    } else if (message.topic === SET_ASIDE_TOPIC) {
      traces.setAside = true;
    } else if (message.topic !== HALF_TOPIC) {
      traces.messageWritten = true;
    }
  });
  const resolutions = new Resolutions();
  for (const [halfOffset, traces] of byHalf) {
    const resolution = outcomeOf(traces);
    if (resolution !== undefined) resolutions.set(halfOffset, resolution);
  }
  return resolutions;
}

/**
 * A note wins (it is what a client was told); then a set-aside; then a real message with no note,
 * which is a commit that a crash (or a failed append) kept from writing its note. A correct
 * service never leaves two of them disagreeing about one half.
 */
function outcomeOf(traces: Traces): Resolution | undefined {
  if (traces.noted !== undefined) return traces.noted;
  if (traces.setAside) return "setAside";
  return traces.messageWritten ? "committed" : undefined;
}
