/**
 * Bug zoo, lab 01: KEEPS THE CALLER'S ARRAY.
 *
 * write() keeps the array it was handed in the buffer, instead of a copy of its bytes. The log
 * encodes each record into a fresh array, so the log itself never notices; but a caller may
 * reuse its array as soon as write() resolved (node:fs promises the same), and when one does, the
 * buffer holds whatever the caller put there next. Those are the bytes that reach the file.
 */
import { BufferedDisk as Reference } from "../../solution/write-buffer.ts";

export class BufferedDisk extends Reference {
  override async write(path: string, offset: number, data: Uint8Array): Promise<void> {
    const buffer = this.buffers.get(path);
    const continues = buffer !== undefined && offset === buffer.committed + buffer.bytes;
    if (buffer !== undefined && (!continues || buffer.bytes + data.length > this.capacityBytes)) {
      await this.commit(path);
    }
    const now = this.buffers.get(path);
    if (now !== undefined && offset === now.committed + now.bytes && now.bytes + data.length <= this.capacityBytes) {
      now.chunks.push(data); // the bug: no copy
      now.bytes += data.length;
      return;
    }
    if (now !== undefined && now.bytes > 0) return this.write(path, offset, data);
    if (data.length > this.capacityBytes) return this.disk.write(path, offset, data);
    this.buffers.set(path, { committed: offset, chunks: [data], bytes: data.length, committing: Promise.resolve() });
  }
}
