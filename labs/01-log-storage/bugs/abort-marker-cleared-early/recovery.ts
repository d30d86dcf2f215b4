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
 *
 * The marker's helpers, the recovery itself and the clean close are the reference's.
 */
import { ABORT_FILE, joinPath, type RecoverIfNeeded } from "#labs/01-log-storage/provided.ts";
import { abortMarkerFound, placeAbortMarker, recover } from "../../solution/recovery.ts";

export { markCleanShutdown } from "../../solution/recovery.ts";

export const recoverIfNeeded: RecoverIfNeeded = async (env, dir, commitLog, queues) => {
  if (await abortMarkerFound(env, dir)) {
    // The bug: the marker is gone before the repair it stands for is done.
    await env.disk.unlink(joinPath(dir, ABORT_FILE));
    await env.disk.fsyncDir(dir);
    await recover(env, commitLog, queues);
    await placeAbortMarker(env, dir);
    return "recovered";
  }
  commitLog.setQueueOffsets(queues.nextOffsets());
  await placeAbortMarker(env, dir);
  return "clean";
};
