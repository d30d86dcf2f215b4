/**
 * Bug zoo, lab 01: A RECOVERY THAT FORGETS IT WAS INTERRUPTED.
 *
 * The recovery itself is right. The protocol around it is not: finding the abort marker, it deletes
 * it at once ("the crash is being handled"), recovers, and creates it again for this run. If the
 * process dies in the middle of that recovery, the next start finds no marker, concludes that the
 * last run closed cleanly, and believes files that no one has repaired: a torn tail, consume-queue
 * entries pointing at records that are gone. Recovery must be safe to interrupt: RocketMQ creates
 * the abort file at start and deletes it only in `shutdown`, after everything is flushed
 * (`DefaultMessageStore`), so a crash at any moment of a recovery leaves the marker in place.
 */
import type { Env } from "#lab";
import { ABORT_FILE, type CommitLogApi, type ConsumeQueueStoreApi, joinPath } from "#labs/01-log-storage/provided.ts";
import { recover } from "../../solution/recovery.ts";

// Not part of the bug: the clean close is the reference's.
export { markCleanShutdown } from "../../solution/recovery.ts";

export async function recoverIfNeeded(
  env: Env,
  dir: string,
  commitLog: CommitLogApi,
  queues: ConsumeQueueStoreApi,
): Promise<"clean" | "recovered"> {
  const marker = joinPath(dir, ABORT_FILE);
  if (await env.disk.exists(marker)) {
    // The bug: the marker is gone before the repair it stands for is done.
    await env.disk.unlink(marker);
    await env.disk.fsyncDir(dir);
    await recover(env, commitLog, queues);
    await env.disk.create(marker);
    await env.disk.fsyncDir(dir);
    return "recovered";
  }
  commitLog.setQueueOffsets(queues.nextOffsets());
  await env.disk.create(marker);
  await env.disk.fsyncDir(dir);
  return "clean";
}
