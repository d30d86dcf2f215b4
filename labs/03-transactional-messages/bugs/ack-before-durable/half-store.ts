/**
 * Bug zoo, lab 03: THE END ACKNOWLEDGED BEFORE ITS APPENDS ARE DURABLE.
 *
 * The reference half store with two parts replaced: committing and rolling back start their
 * appends and return at once. "The store has them queued; it flushes every few milliseconds
 * anyway, and the end request should not wait on the disk." The broker then acknowledges the
 * commit while the real message is only in the page cache, and a power cut in those milliseconds
 * takes it away: the producer was told "committed", and no consumer ever sees the message.
 * RocketMQ's broker answers END_TRANSACTION only after putMessage of the final message returns,
 * and with SYNC_FLUSH that means on disk; here `append` resolves once the message is durable, and
 * a reply may be sent only after that.
 */
import type { BrokerSide, NewMessage } from "#labs/03-transactional-messages/provided.ts";
import { halfStoreWith } from "../../solution/half-store-with.ts";
import { halfStoreParts } from "../../solution/parts.ts";

/** Starts an append and does not wait for it ("it is queued"). */
async function appendLater(broker: BrokerSide, message: NewMessage): Promise<void> {
  // The bug: not awaited; the end's reply goes out before its appends are durable.
  broker.store
    .append(message)
    .catch((error: unknown) => broker.env.log.warn({ error: String(error) }, "append failed"));
}

export const { storeHalf, readHalf, commitHalf, rollbackHalf } = halfStoreWith({
  ...halfStoreParts,
  appendReal: appendLater,
  appendOp: appendLater,
});
