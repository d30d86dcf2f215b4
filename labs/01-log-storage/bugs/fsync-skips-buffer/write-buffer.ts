/**
 * Bug zoo, lab 01: FSYNC SKIPS THE BUFFER.
 *
 * fsync passes straight to the file without writing the buffer out first. The fsync resolves, the
 * log calls the bytes durable and acknowledges them under sync flush, and yet they were still in
 * this process's memory: a crash or a power cut loses acknowledged messages.
 */
import { BufferedDisk as Reference } from "../../solution/write-buffer.ts";

export class BufferedDisk extends Reference {
  override fsync(path: string): Promise<void> {
    return this.disk.fsync(path); // the bug: the buffer's bytes are not in the file yet
  }
}
