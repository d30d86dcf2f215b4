/**
 * Bug zoo, lab 01: NO CRC CHECK ON READ AND RECOVERY.
 *
 * Checking a record's CRC costs a pass over every byte, and the disk "never" returns bad bytes, so
 * this log checks the size, the magic and the lengths inside, and skips the checksum. The record
 * codec still computes and verifies CRCs (part A passes); the log just never asks it to. Then a
 * record torn by a power cut, whose first and last sectors reached the disk and whose middle did
 * not, passes recovery and is read back with zeros in its body; and a bit flipped on the way from
 * the disk reaches the reader. RocketMQ checks the body CRC during recovery (`checkCRCOnRecover`,
 * true by default, in `CommitLog.checkMessageAndReturnSize`); Kafka validates every batch's CRC when
 * it recovers a segment (`LogSegment.recover`), and its consumers check it again (`check.crcs`).
 */
import { crc32 } from "#lab";
import { type DecodeResult, END_MAGIC, type Segment } from "#labs/01-log-storage/provided.ts";
import { CommitLog as ReferenceCommitLog } from "../../solution/commit-log.ts";
import { decodeRecord } from "../../solution/record.ts";

export class CommitLog extends ReferenceCommitLog {
  protected override async readOnce(segment: Segment, position: number): Promise<DecodeResult> {
    const head = await this.disk.read(segment.path, position, 8);
    if (head.length < 8) return { kind: "invalid", reason: "the segment file ends here" };
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (view.getUint32(4) === END_MAGIC) return decodeRecord(head);
    const size = view.getUint32(0);
    if (size < 55 || position + size > this.segmentBytes)
      return { kind: "invalid", reason: `an implausible size ${size}` };
    const bytes = await this.disk.read(segment.path, position, size);
    // The bug: make the checksum match whatever the bytes are, so that only the lengths are checked.
    if (bytes.length >= 12) new DataView(bytes.buffer, bytes.byteOffset).setUint32(8, crc32(bytes.subarray(12)));
    return decodeRecord(bytes);
  }
}
