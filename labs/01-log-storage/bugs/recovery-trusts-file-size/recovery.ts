/**
 * Bug zoo, lab 01: RECOVERY THAT TRUSTS THE FILE SIZE.
 *
 * The log keeps the abort marker, and notices a crash... and then believes the files anyway, as a
 * clean start may: the log ends where its last segment file ends, and each consume queue where its
 * file ends. After a process crash, a queue whose last entry was never written hands its number to
 * the next message too. After a power cut, the end of the last file may be a torn record or zeros,
 * and new records are appended after that garbage; the consume queues may point at records that
 * are gone. RocketMQ scans the last files record by record after an abnormal shutdown
 * (`CommitLog.recoverAbnormally`) and cuts the consume queues to match
 * (`DefaultMessageStore.truncateDirtyLogicFiles`); Kafka rescans every segment after its recovery
 * point (`LogLoader.recoverLog`).
 *
 * The marker's helpers and the clean close are the reference's.
 */
import type { RecoverIfNeeded } from "#labs/01-log-storage/provided.ts";
import { abortMarkerFound, placeAbortMarker } from "../../solution/recovery.ts";

export { markCleanShutdown } from "../../solution/recovery.ts";

export const recoverIfNeeded: RecoverIfNeeded = async (env, dir, commitLog, queues) => {
  const crashed = await abortMarkerFound(env, dir);
  // The bug: the files are believed whether or not the last run ended cleanly.
  commitLog.setQueueOffsets(queues.nextOffsets());
  if (!crashed) await placeAbortMarker(env, dir);
  return crashed ? "recovered" : "clean";
};
