/**
 * L3.F, coordinator part: writing a decided transaction's markers [TransactionMarkerChannelManager,
 * WriteTxnMarkers].
 *
 * One COMMIT or ABORT marker per partition of the transaction, each carrying the epoch the
 * transaction was decided with (already bumped), so that the partition closes the producer's open
 * transaction there and fences its older epoch. Writing a marker twice (a retry after a crash
 * between two partitions) is harmless: the second finds no open transaction to close.
 */
import type { KafkaSide, TxnRecord } from "#labs/03-transactional-messages/provided.ts";

export async function writeMarkers(kafka: KafkaSide, record: TxnRecord, commit: boolean): Promise<void> {
  await Promise.all(
    record.partitions.map((partition) =>
      kafka.append(partition, { kind: "marker", producerId: record.producerId, epoch: record.epoch, commit }),
    ),
  );
}
