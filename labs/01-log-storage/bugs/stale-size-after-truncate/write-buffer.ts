/**
 * Bug zoo, lab 01: STALE SIZE AFTER A TRUNCATE.
 *
 * truncate() writes the buffer out and cuts the file, but keeps the file's (now empty) buffer,
 * whose committed position is still the old end. size() answers the larger of the file's size and
 * the buffer's end, so after a cut it still reports the bytes the cut removed, until the next
 * write moves the buffer. (This project's own reference had this bug until the grader began
 * driving the buffer through truncates: the log's appends never showed it.)
 */
import { BufferedDisk as Reference } from "../../solution/write-buffer.ts";

export class BufferedDisk extends Reference {
  override async truncate(path: string, sizeBytes: number): Promise<void> {
    await this.commit(path);
    // The bug: the buffer, with its old committed position, stays.
    await this.disk.truncate(path, sizeBytes);
  }
}
