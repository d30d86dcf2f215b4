/**
 * L3.F (1 of 2): Kafka's transaction coordinator, the reference. The logic is in
 * coordinator-with.ts; its parts are the epochs (fence.ts) and the markers (markers.ts).
 */
import type { Coordinator, KafkaSide } from "#labs/03-transactional-messages/provided.ts";
import { type CoordinatorParts, openCoordinatorWith } from "./coordinator-with.ts";
import { epochAfterEnd, epochAfterInit, epochAfterTimeout } from "./fence.ts";
import { writeMarkers } from "./markers.ts";

export const coordinatorParts: CoordinatorParts = { epochAfterEnd, epochAfterTimeout, epochAfterInit, writeMarkers };

export function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  return openCoordinatorWith(kafka, coordinatorParts);
}
