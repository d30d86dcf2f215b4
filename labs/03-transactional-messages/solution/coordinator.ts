/**
 * L3.F (1 of 2): Kafka's transaction coordinator, the reference. The logic is in
 * coordinator-with.ts; its parts are the epochs (fence.ts) and the markers (markers.ts).
 */
import type { Coordinator, KafkaSide } from "#labs/03-transactional-messages/provided.ts";
import { openCoordinatorWith } from "./coordinator-with.ts";
import { coordinatorParts } from "./parts.ts";

export function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  return openCoordinatorWith(kafka, coordinatorParts);
}
