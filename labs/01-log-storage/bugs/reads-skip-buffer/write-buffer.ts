/**
 * Bug zoo, lab 01: READS SKIP THE BUFFER.
 *
 * Reads go to the file only. A record still in the buffer reads back as the end of the file, so
 * a client that reads what it was just acknowledged finds nothing there, and the consume queues
 * and recovery, which read through the same disk, see less than the log's positions say.
 */
import { BufferedDisk as Reference } from "../../solution/write-buffer.ts";

export class BufferedDisk extends Reference {
  override read(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.disk.read(path, offset, length); // the bug: the buffered bytes are not consulted
  }
}
