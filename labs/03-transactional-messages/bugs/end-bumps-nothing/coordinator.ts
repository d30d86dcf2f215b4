/**
 * Bug zoo, lab 03: AN END THAT KEEPS THE EPOCH.
 *
 * The reference coordinator with one part replaced: a producer's own commit or abort leaves its
 * epoch as it was (fence.ts's `epochAfterEnd` returns it unchanged). Timeouts and new
 * incarnations still bump it, and the partitions still verify a transaction's first batch with
 * the coordinator (KIP-890's first half).
 *
 * Why it is tempting: "epochs fence zombies, and a producer that ends its own transaction is no
 * zombie: it goes on with the next one under the same epoch". That is Kafka's transaction
 * version 1, where the epoch belongs to the producer's session.
 *
 * What goes wrong: a produce request the network held while its client gave up and aborted the
 * transaction arrives when the client's next transaction has already added that partition. Same
 * producer id, same epoch, a transaction ongoing that includes the partition: verification says
 * yes, and the late record of the aborted transaction joins the next one. When that one commits,
 * the aborted record is committed with it.
 *
 * What Kafka does: transaction version 2 (KIP-890 part 2) bumps the epoch at every end, and the
 * markers carry the new epoch, so the late batch is fenced at the partition.
 */
import type { Coordinator, KafkaSide } from "#labs/03-transactional-messages/provided.ts";
import { openCoordinatorWith } from "../../solution/coordinator-with.ts";
import { coordinatorParts } from "../../solution/parts.ts";

export function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  return openCoordinatorWith(kafka, { ...coordinatorParts, epochAfterEnd: (epoch) => epoch });
}
