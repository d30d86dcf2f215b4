/**
 * Bug zoo, lab 03: RECOVERY TRUSTS THE OP RECORDS ALONE.
 *
 * The reference recovery with one part left out: finishing interrupted commits. "Recovery rebuilds
 * the index from the op queue: every op says which half it resolved. That is the record of
 * decisions." A crash between commitHalf's two appends leaves the real message without its op: the
 * half looks unresolved, is checked, answered "commit", and committed again.
 */
import { type BrokerSide, Resolutions } from "#labs/03-transactional-messages/provided.ts";
import { readStoreIndex } from "../../solution/op-index.ts";

export async function recoverResolutions(broker: BrokerSide): Promise<Resolutions> {
  const index = await readStoreIndex(broker);
  const resolutions = new Resolutions();
  // The bug: real messages whose op record is missing are not looked at.
  for (const [halfOffset, resolution] of index.decided) resolutions.set(halfOffset, resolution);
  return resolutions;
}
