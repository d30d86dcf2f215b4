/**
 * Bug zoo, lab 01: ONE WRITE CALL PER RECORD (no write buffer at all).
 *
 * Correct, and slow: every write goes straight to the file, so a thousand 1 KiB records make a
 * thousand write calls (and a thousand more for their index entries), each paying the call's fixed
 * cost. Nothing is ever lost that the page cache would keep; only part H's bound, measured in
 * simulated time on the calibrated disk model, catches it.
 */
import type { Disk } from "#lab";
import { DiskPassThrough } from "#labs/01-log-storage/provided.ts";

export class BufferedDisk extends DiskPassThrough implements Disk {
  constructor(
    disk: Disk,
    readonly capacityBytes: number,
  ) {
    super(disk); // the bug: every call passes through, the capacity is never used
  }
}
