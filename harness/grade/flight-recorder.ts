/**
 * A flight recorder: the last lines of a worker's trace, kept in shared memory.
 *
 * A synchronous loop that never ends blocks its worker thread for good: it can send nothing, and
 * the watchdog can only terminate it (pool.ts). But memory the worker shares with the main thread
 * outlives it. So each grading worker writes every trace line, as it is recorded, into a ring of
 * bytes in a SharedArrayBuffer, and after terminating a stuck worker the pool reads the last lines
 * before the loop from it: the call that was running, and what the learner's code last logged.
 *
 * Layout: two int32 (the next write position in the ring, and whether it has wrapped), then the
 * ring of UTF-8 bytes, each line ending with "\n". Only the worker writes, and the pool reads only
 * once the worker is gone, so no locking is needed.
 */
import type { TraceRecorder } from "../sim/trace.ts";

/** Bytes of trace kept: several hundred lines. */
export const FLIGHT_RECORDER_BYTES = 64 * 1024;
/** A longer line is cut to this many bytes (a line is also cut where a character would not fit). */
const LINE_BYTES_MAX = 2048;
const HEADER_BYTES = 8;

export function createFlightRecorderBuffer(bytes = FLIGHT_RECORDER_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + bytes);
}

export class FlightRecorder implements TraceRecorder {
  private readonly header: Int32Array;
  private readonly ring: Uint8Array;
  private readonly scratch = new Uint8Array(LINE_BYTES_MAX + 1);
  private readonly encoder = new TextEncoder();

  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, 2);
    this.ring = new Uint8Array(buffer, HEADER_BYTES);
  }

  reset(): void {
    this.header[0] = 0;
    this.header[1] = 0;
  }

  write(line: string): void {
    const { written } = this.encoder.encodeInto(line, this.scratch.subarray(0, LINE_BYTES_MAX));
    this.scratch[written] = 0x0a;
    let bytes = this.scratch.subarray(0, written + 1);
    const size = this.ring.length;
    if (bytes.length > size) bytes = bytes.subarray(bytes.length - size);
    let at = this.header[0] as number;
    const first = Math.min(bytes.length, size - at);
    this.ring.set(bytes.subarray(0, first), at);
    if (first < bytes.length) {
      this.ring.set(bytes.subarray(first), 0);
      this.header[1] = 1;
    }
    at = (at + bytes.length) % size;
    if (at === 0) this.header[1] = 1;
    this.header[0] = at;
  }

  /** The whole lines kept, oldest first. */
  lines(): string[] {
    const at = this.header[0] as number;
    const wrapped = this.header[1] === 1;
    const size = this.ring.length;
    const bytes = new Uint8Array(wrapped ? size : at);
    if (wrapped) {
      bytes.set(this.ring.subarray(at), 0);
      bytes.set(this.ring.subarray(0, at), size - at);
    } else bytes.set(this.ring.subarray(0, at));
    const lines = new TextDecoder().decode(bytes).split("\n");
    lines.pop(); // after the last "\n"
    // Once wrapped, the oldest line may have lost its beginning: drop it.
    if (wrapped) lines.shift();
    return lines;
  }
}
