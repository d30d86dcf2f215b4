/**
 * L3.E, finishing commits a crash interrupted: a half whose real message is written but whose op
 * record is not (a crash between commitHalf's two appends) is committed; its missing op record is
 * appended, and awaited, before the broker serves, so that the next start finds it in its place.
 * Counting it unresolved instead would have it checked, answered "commit", and delivered twice.
 */
import { type BrokerSide, Resolutions } from "#labs/03-transactional-messages/provided.ts";
import { opRecordOf } from "./half-codec.ts";
import type { StoreIndex } from "./op-index.ts";

export async function repairCommits(broker: BrokerSide, index: StoreIndex): Promise<Resolutions> {
  const resolutions = new Resolutions();
  for (const [halfOffset, resolution] of index.decided) resolutions.set(halfOffset, resolution);
  for (const halfOffset of index.delivered) {
    if (resolutions.get(halfOffset) !== undefined) continue;
    const half = index.halves.get(halfOffset);
    if (half !== undefined) await broker.store.append(opRecordOf(half, "commit", broker.env.clock.now()));
    resolutions.set(halfOffset, "committed");
  }
  return resolutions;
}
