/**
 * Bug zoo, lab 03: RECOVERY FORGETS THE HALVES SET ASIDE.
 *
 * The reference recovery, except that it reads only op records and real messages. "Op records
 * hold commits and rollbacks; recovery reads them. Set-aside halves are in their own topic, for the
 * operators." After a restart a set-aside half is unresolved again: it is checked again, and a
 * producer that has meanwhile decided commits it.
 */
import type { BrokerSide, Resolutions } from "#labs/03-transactional-messages/provided.ts";
import { readStoreIndex } from "../../solution/op-index.ts";
import { repairCommits } from "../../solution/repair-commits.ts";

export async function recoverResolutions(broker: BrokerSide): Promise<Resolutions> {
  const index = await readStoreIndex(broker);
  // The bug: what TRANS_CHECK_MAX_TIME_TOPIC says is dropped; only op records count as decisions.
  for (const [halfOffset, resolution] of index.decided) if (resolution === "setAside") index.decided.delete(halfOffset);
  return repairCommits(broker, index);
}
