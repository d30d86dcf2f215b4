/**
 * Lab 01 reference solution, part E: recovery.
 *
 * After a clean shutdown the files are exactly right: every record is fsynced, every consume queue
 * is complete and fsynced, and the end of the last segment file is the end of the log. After a
 * crash none of that holds:
 *
 *   - a process crash leaves every completed write in the page cache, but the consume queues may
 *     lag the log (a record written, its index entry not yet);
 *   - a power cut keeps only what was fsynced, plus any subset of the later writes, in any order,
 *     torn at sector boundaries: the tail of the log may be a torn record, zeros, or a valid record
 *     sitting after a hole; the consume queues may point at records that are gone.
 *
 * So the log must know which case it is in. Like RocketMQ, it keeps a marker file, `abort`, for as
 * long as it runs: created at open, removed only by a clean close (`DefaultMessageStore.load`
 * asks `isTempFileExist`; `createTempFile` and `shutdown` create and delete it). Found at open, it means the last run
 * did not end cleanly, and nothing on disk is believed until it is checked:
 *
 *   1. scan the log from its first record: each record must decode (size, magic, CRC), say it
 *      lives where it was found, and carry the next queue offset of its queue; an end marker must
 *      close its segment exactly, and the next segment must exist. The first position where any of
 *      this fails is the end of the valid log;
 *   2. cut the log there, durably, and delete every later segment: what follows a hole is never
 *      kept, even when it decodes, or the log would have a gap (`CommitLog.recoverAbnormally`;
 *      Kafka's `LogSegment.recover` truncates at the first invalid batch and `LogLoader` deletes
 *      the segments after it);
 *   3. rebuild the consume queues from the log, and the next queue offsets from them.
 *
 * Every step is safe to repeat, and the marker stays in place until a clean close: a crash in the
 * middle of recovery leaves the marker, so the next start recovers again from the beginning.
 *
 * Where the teaching version departs from production: it scans the whole log. RocketMQ starts from
 * the last few files, or from the file its `checkpoint` says was last fully flushed
 * (`StoreCheckpoint.java`); Kafka rescans only the segments after its recovery point. Both exist
 * because a broker's log is terabytes; ours is kilobytes.
 */
import type { Env } from "#lab";
import {
  ABORT_FILE,
  type CommitLogApi,
  type ConsumeQueueStoreApi,
  joinPath,
  queueKey,
  type RecoverIfNeeded,
} from "#labs/01-log-storage/provided.ts";

/**
 * Called at every open, after the commit log and the consume queues are opened. Returns "clean"
 * when the last run ended with a clean close, "recovered" when it had to recover.
 */
export const recoverIfNeeded: RecoverIfNeeded = async (env, dir, commitLog, queues) => {
  if (await abortMarkerFound(env, dir)) {
    // The marker stays where it is: until this run closes cleanly, it is not clean either.
    await recover(env, commitLog, queues);
    return "recovered";
  }
  commitLog.setQueueOffsets(queues.nextOffsets());
  await placeAbortMarker(env, dir);
  // -- from here on, a crash is noticed at the next open.
  return "clean";
};

/** Whether the last run left its marker behind: it did not close cleanly. */
export function abortMarkerFound(env: Env, dir: string): Promise<boolean> {
  return env.disk.exists(joinPath(dir, ABORT_FILE));
}

/** Creates the marker, durably: a created file's name is lost to a power cut until its folder is synced. */
export async function placeAbortMarker(env: Env, dir: string): Promise<void> {
  await env.disk.create(joinPath(dir, ABORT_FILE));
  await env.disk.fsyncDir(dir);
}

/** Called by a clean close, once every record and index entry is durable. */
export async function markCleanShutdown(env: Env, dir: string): Promise<void> {
  if (!(await abortMarkerFound(env, dir))) return;
  await env.disk.unlink(joinPath(dir, ABORT_FILE));
  await env.disk.fsyncDir(dir);
}

/** Steps 1 to 3 above. */
export async function recover(env: Env, commitLog: CommitLogApi, queues: ConsumeQueueStoreApi): Promise<void> {
  const before = commitLog.writtenOffset;
  const end = await findValidEnd(commitLog);
  await commitLog.truncateTo(end);
  await queues.rebuild();
  commitLog.setQueueOffsets(queues.nextOffsets());
  env.log.info({ end, cutBytes: before - end, segments: commitLog.segmentBases().length }, "recovered the log");
}

/** The offset just past the last valid record: where the log must end. */
export async function findValidEnd(commitLog: CommitLogApi): Promise<number> {
  const segmentBytes = commitLog.segmentBytes;
  const bases = new Set(commitLog.segmentBases());
  const nextQueueOffset = new Map<string, number>();
  let offset = commitLog.minOffset;
  while (offset < commitLog.writtenOffset) {
    // readAt re-reads before it calls anything invalid: a flipped bit must not cut the log.
    const found = await commitLog.readAt(offset);
    if (found.kind === "invalid") break;
    if (found.kind === "end") {
      const next = Math.floor(offset / segmentBytes) * segmentBytes + segmentBytes;
      if (!bases.has(next)) break; // the roll never created the next file: the log ends at the marker
      offset = next;
      continue;
    }
    const key = queueKey(found.record.topic, found.record.queueId);
    const expected = nextQueueOffset.get(key);
    // A valid record with the wrong queue offset is a stale one from before an earlier cut.
    if (expected !== undefined && found.record.queueOffset !== expected) break;
    nextQueueOffset.set(key, found.record.queueOffset + 1);
    offset += found.sizeBytes;
  }
  return offset;
}
