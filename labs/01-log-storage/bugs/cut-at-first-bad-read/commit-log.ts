/**
 * Bug zoo, lab 01: RECOVERY THAT CUTS THE LOG AT THE FIRST READ THAT FAILS ITS CHECK.
 *
 * Every record is verified, as it should be, but from a single read: a record that fails its CRC
 * once is declared invalid. For a reader that is merely unlucky (the read fails; a retry would have
 * worked). For recovery it is a disaster: a bit flipped on the way from the disk, not on it, makes
 * recovery believe the log ends at that record, and it cuts away every record after it, durable and
 * acknowledged as they were. A failed check on a read must be told apart from bad bytes on the disk:
 * read again before you cut. (Real disks seldom hand back flipped bits, thanks to their own
 * checksums; this lab's disk does, as a bad cable, controller or DMA transfer would.)
 */
import { type DecodeResult, OffsetOutOfRangeError } from "#labs/01-log-storage/provided.ts";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";

export class CommitLog extends ReferenceCommitLog {
  override async readAt(offset: number): Promise<DecodeResult> {
    if (!Number.isSafeInteger(offset) || offset < this.minOffset || offset >= this.writtenOffset) {
      throw new OffsetOutOfRangeError(offset, `the log holds [${this.minOffset}, ${this.writtenOffset})`);
    }
    const segment = this.segmentFor(offset);
    const position = offset - segment.base;
    // The bug: one read decides.
    const result = await this.readOnce(segment, position);
    if (result.kind === "record" && result.record.physicalOffset !== offset)
      return { kind: "invalid", reason: "misplaced" };
    if (result.kind === "end" && position + result.sizeBytes !== this.segmentBytes)
      return { kind: "invalid", reason: "bad marker" };
    return result;
  }
}
