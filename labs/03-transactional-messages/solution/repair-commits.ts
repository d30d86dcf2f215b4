/**
 * L3.E, finishing commits a crash interrupted: a half whose real message is written but whose op
 * record is not (a crash between commitHalf's two appends) is committed; its missing op record is
 * appended, and awaited, before the broker serves, so that the next start finds it in its place.
 * Counting it unresolved instead would have it checked, answered "commit", and delivered twice.
 */
import {
  type BrokerSide,
  HALF_OFFSET,
  OP_TOPIC,
  OUTCOME,
  Resolutions,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";
import type { StoreIndex } from "./op-index.ts";

export async function repairCommits(broker: BrokerSide, index: StoreIndex): Promise<Resolutions> {
  const resolutions = new Resolutions();
  for (const [halfOffset, resolution] of index.decided) resolutions.set(halfOffset, resolution);
  for (const [halfOffset, transactionId] of index.delivered) {
    if (resolutions.get(halfOffset) !== undefined) continue;
    await broker.store.append({
      topic: OP_TOPIC,
      queueId: 0,
      key: String(halfOffset),
      body: "commit",
      producerId: "",
      sequence: -1,
      storedAtMs: broker.env.clock.now(),
      properties: { [HALF_OFFSET]: String(halfOffset), [OUTCOME]: "commit", [TX_ID]: transactionId },
    });
    resolutions.set(halfOffset, "committed");
  }
  return resolutions;
}
