/** A fixed-size ring of the last values pushed: the recent past of a run, kept at a bounded cost. */
export class Ring<T> {
  private readonly slots: T[] = [];
  private next = 0;
  /** Values pushed in all, including those since overwritten. */
  pushed = 0;

  constructor(readonly capacity: number) {}

  push(value: T): void {
    this.slots[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.pushed++;
  }

  /** The values kept, oldest first. */
  toArray(): T[] {
    if (this.pushed <= this.capacity) return this.slots.slice(0, this.pushed);
    return [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)];
  }
}
