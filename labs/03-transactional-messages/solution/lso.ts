/**
 * L3.F, partition part: the transactions open on one partition, in the order they began, and the
 * last stable offset they hold back [ProducerStateManager.ongoingTxns, firstUndecidedOffset].
 *
 * A transaction opens on a partition with its first batch there and closes with its marker.
 * Entries arrive in offset order, so a newly opened transaction always has the highest first
 * offset: appending keeps the list sorted, and the earliest open transaction is its head.
 */
export class OpenTransactions {
  /** [producer id, first offset], sorted by first offset. */
  private readonly open: { producerId: number; firstOffset: number }[] = [];

  firstOffsetOf(producerId: number): number | undefined {
    return this.open.find((t) => t.producerId === producerId)?.firstOffset;
  }

  begin(producerId: number, firstOffset: number): void {
    this.open.push({ producerId, firstOffset });
  }

  /** Closes the producer's open transaction; its first offset, or undefined if none was open. */
  end(producerId: number): number | undefined {
    const at = this.open.findIndex((t) => t.producerId === producerId);
    if (at < 0) return undefined;
    const [closed] = this.open.splice(at, 1);
    return closed?.firstOffset;
  }

  /**
   * Offsets below it are decided: the first offset of the earliest open transaction, or `end`
   * (the offset after the last entry this state has seen) if none is open.
   */
  lastStableOffset(end: number): number {
    return Math.min(this.open[0]?.firstOffset ?? end, end);
  }
}
