/**
 * The register checker: reads a history of saves and loads by one client, never the register's
 * files, and names every load that broke the contract.
 *
 * The contract: a load returns the value of the last acknowledged save, or of a save attempted
 * after it whose outcome is unknown (it crashed, or it failed after possibly reaching the disk).
 * Anything else is an anomaly:
 *
 *   lost write     save("b") was acknowledged; a later load returned undefined or an older value.
 *                  save("a") ok, save("b") ok, <power loss>, load() -> "a"
 *   garbage read   a load returned a value no save ever attempted.
 *                  save("a") ok, <power loss>, load() -> "a\u0000\u0000"
 *   not live       once every fault had healed, save or load still failed.
 *
 * A load that throws is a lost write (or, before any acknowledged save, a wrong answer): flipped
 * bits are transient and a correct save never leaves the only copy unreadable, so nothing in the
 * fault model forces a load to give up. Except an unreadable load, one during which every read
 * returned a flipped bit (the workload's doing): its file never verified, and throwing is what the
 * contract asks. Returning a value is still judged as above (a register may know its value without
 * reading), so a register that takes an unreadable file for "nothing saved" is caught:
 *
 *   lost write     save("a") ok, <every read flipped> load() -> undefined
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { describeOp, formatValue, type Op } from "#harness/workloads/history.ts";

/**
 * @param unreadable the loads during which every read returned a flipped bit: they may throw.
 */
export function checkRegister(ops: readonly Op[], unreadable: ReadonlySet<Op> = new Set()): Anomaly[] {
  const found: Anomaly[] = [];
  const attempted = new Map<unknown, Op>();
  let acked: Op | null = null;
  let unknownSince: Op[] = [];

  for (const op of ops) {
    if (op.f === "save") {
      attempted.set(op.input, op);
      if (op.status === "ok") {
        acked = op;
        unknownSince = [];
      } else if (op.status === "info") unknownSince.push(op);
      continue;
    }
    if (op.f !== "load") continue;
    const allowed = [acked === null ? undefined : acked.input, ...unknownSince.map((s) => s.input)];
    const allowedText = allowed.map(formatValue).join(" or ");
    if (op.threw !== undefined) {
      // An unreadable load refused to guess: right. Any other load that gives up has lost the value.
      if (unreadable.has(op)) continue;
      found.push(
        acked !== null
          ? anomaly(
              "lost write",
              `${describeOp(acked)} was acknowledged, but a later load() threw ${op.threw}: the value is gone. It should have returned ${allowedText}.`,
              [acked, op],
            )
          : anomaly("wrong answer", `load() threw ${op.threw}; it should have returned ${allowedText}.`, [op]),
      );
      break;
    }
    if (op.status !== "ok") continue;
    const seen = op.output;
    if (allowed.includes(seen)) continue;

    if (typeof seen !== "string" && seen !== undefined) {
      found.push(
        anomaly("wrong answer", `load() must return a string or undefined, but returned ${formatValue(seen)}.`, [op]),
      );
    } else if (acked !== null && (seen === undefined || attempted.has(seen))) {
      const source = seen === undefined ? undefined : attempted.get(seen);
      found.push(
        anomaly(
          "lost write",
          `${describeOp(acked)} was acknowledged, but a later load() returned ${formatValue(seen)}` +
            (source ? `, the value of the older ${describeOp(source)}` : "") +
            `. It should have returned ${allowedText}.`,
          source ? [source, acked, op] : [acked, op],
        ),
      );
    } else {
      found.push(
        anomaly(
          "garbage read",
          `load() returned ${formatValue(seen)}, which no save() ever wrote. It should have returned ${allowedText}.`,
          acked ? [acked, op] : [op],
        ),
      );
    }
    break; // the first broken load explains the bug; the rest follow from it
  }
  return found;
}

/** Liveness: after the faults healed, a save and a load must both succeed and agree. */
export function checkRecovered(finalSave: Op, finalLoad: Op): Anomaly[] {
  if (finalSave.status !== "ok") {
    return [
      anomaly("not live", `after every fault had healed, ${describeOp(finalSave)}: the register should work again.`, [
        finalSave,
      ]),
    ];
  }
  if (finalLoad.status !== "ok") {
    return [
      anomaly("not live", `after every fault had healed, ${describeOp(finalLoad)}: the register should work again.`, [
        finalLoad,
      ]),
    ];
  }
  if (finalLoad.output !== finalSave.input) {
    return [
      anomaly(
        "wrong answer",
        `${describeOp(finalSave)} succeeded with no fault running, then load() returned ${formatValue(finalLoad.output)}.`,
        [finalSave, finalLoad],
      ),
    ];
  }
  return [];
}
