/**
 * Bug zoo, lab 03: OP RECORDS BATCHED, AND ACKNOWLEDGED BEFORE THEY ARE DURABLE.
 *
 * The reference half store, except that op records are buffered and appended every 30 ms, as
 * RocketMQ 5 does (RIP-50: TransactionalOpBatchService, 4 KiB or 3 s): "op records are tiny and
 * frequent; I buffer them and flush them together. The end request is answered when the buffer
 * accepts the op." An acknowledged rollback (or commit's op) can vanish in a crash, and the half is
 * checked again after the restart (apache/rocketmq#5386).
 */
import type { BrokerSide, NewMessage } from "#labs/03-transactional-messages/provided.ts";
import { halfStoreWith } from "../../solution/half-store-with.ts";
import { halfStoreParts } from "../../solution/parts.ts";

const FLUSH_EVERY_MS = 30;

/** The buffer of one broker incarnation (this module is loaded once per incarnation). */
const buffered: NewMessage[] = [];
let flushing = false;

async function bufferOp(broker: BrokerSide, op: NewMessage): Promise<void> {
  // The bug: the op record is only buffered when the end is acknowledged.
  buffered.push(op);
  if (flushing) return;
  flushing = true;
  broker.env.clock.setTimer(FLUSH_EVERY_MS, () => {
    const batch = buffered.splice(0);
    flushing = false;
    void (async () => {
      for (const message of batch) await broker.store.append(message);
    })();
  });
}

export const { storeHalf, readHalf, commitHalf, rollbackHalf } = halfStoreWith({
  ...halfStoreParts,
  appendOp: bufferOp,
});
