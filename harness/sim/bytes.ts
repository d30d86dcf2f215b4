/**
 * A growable byte buffer: the contents of one simulated file. Kept separate from the disk model so
 * that the model reads as rules about durability, not as buffer arithmetic.
 */
export class Bytes {
  private data: Uint8Array;
  size: number;

  constructor(initial?: Uint8Array) {
    this.data = initial ? initial.slice() : new Uint8Array(64);
    this.size = initial ? initial.length : 0;
  }

  clone(): Bytes {
    return new Bytes(this.data.subarray(0, this.size));
  }

  /** Writes `src` at `offset`, zero-filling any gap past the current end. */
  write(offset: number, src: Uint8Array): void {
    const end = offset + src.length;
    this.ensureCapacity(end);
    if (offset > this.size) this.data.fill(0, this.size, offset);
    this.data.set(src, offset);
    if (end > this.size) this.size = end;
  }

  /** A copy of up to `length` bytes from `offset`. */
  read(offset: number, length: number): Uint8Array {
    const start = Math.min(offset, this.size);
    const end = Math.min(offset + length, this.size);
    return this.data.slice(start, end);
  }

  /** Cuts or zero-extends to `size`. */
  truncate(size: number): void {
    this.ensureCapacity(size);
    if (size > this.size) this.data.fill(0, this.size, size);
    this.size = size;
  }

  /** A view of the whole contents (do not keep it across writes). */
  view(): Uint8Array {
    return this.data.subarray(0, this.size);
  }

  private ensureCapacity(needed: number): void {
    if (needed <= this.data.length) return;
    let capacity = Math.max(64, this.data.length);
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.data.subarray(0, this.size));
    this.data = grown;
  }
}
