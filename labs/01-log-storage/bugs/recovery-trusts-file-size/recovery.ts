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
 */
import type { Env } from "#lab";
import { ABORT_FILE, type CommitLogApi, type ConsumeQueueStoreApi, joinPath } from "#labs/01-log-storage/provided.ts";

// Not part of the bug: the clean close is the reference's.
export { markCleanShutdown } from "../../solution/recovery.ts";

export async function recoverIfNeeded(
  env: Env,
  dir: string,
  commitLog: CommitLogApi,
  queues: ConsumeQueueStoreApi,
): Promise<"clean" | "recovered"> {
  const marker = joinPath(dir, ABORT_FILE);
  const crashed = await env.disk.exists(marker);
  // The bug: the files are believed whether or not the last run ended cleanly.
  commitLog.setQueueOffsets(queues.nextOffsets());
  if (!crashed) {
    await env.disk.create(marker);
    await env.disk.fsyncDir(dir);
  }
  return crashed ? "recovered" : "clean";
}
