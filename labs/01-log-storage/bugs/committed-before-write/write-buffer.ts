/**
 * Bug zoo, lab 01: COMMITTED BEFORE THE WRITE RESOLVED.
 *
 * commit() moves the committed position and drops the bytes from the buffer as soon as it has
 * called write, not once the write resolved, and does not wait for a commit in progress. A second
 * fsync that arrives meanwhile finds the buffer empty and fsyncs at once: the disk's flush starts
 * before the write has completed, covers none of it, and resolves. Whoever trusted that fsync
 * calls the bytes durable; a power cut right then loses them. (A failed write loses them too:
 * they are no longer anywhere to be written again.)
 */
import { BufferedDisk as Reference } from "../../solution/write-buffer.ts";

export class BufferedDisk extends Reference {
  protected override commit(path: string): Promise<void> {
    const buffer = this.buffers.get(path);
    if (buffer === undefined || buffer.bytes === 0) return Promise.resolve();
    const bytes = new Uint8Array(buffer.bytes);
    let at = 0;
    for (const chunk of buffer.chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    const from = buffer.committed;
    // The bug: the positions move before the write resolved.
    buffer.chunks = [];
    buffer.bytes = 0;
    buffer.committed += bytes.length;
    return this.disk.write(path, from, bytes);
  }
}
