/**
 * L3.D, setting a half aside: appended to SET_ASIDE_TOPIC for the operators, durably, then
 * recorded, under the half's lock, so that an end request racing it either resolved the half first
 * (and the half is not set aside) or hears "alreadyResolved: setAside" (and changes nothing).
 */
import {
  HALF_OFFSET,
  type HalfMessage,
  REASON,
  SET_ASIDE_TOPIC,
  type ServiceContext,
  TX_ID,
} from "#labs/03-transactional-messages/provided.ts";

export function setAside(service: ServiceContext, half: HalfMessage, reason: string): Promise<boolean> {
  return service.locks.run(half.halfOffset, async () => {
    if (service.resolutions.get(half.halfOffset) !== undefined) return false;
    const { broker } = service;
    await broker.store.append({
      topic: SET_ASIDE_TOPIC,
      queueId: 0,
      key: half.key,
      body: half.body,
      producerId: "",
      sequence: -1,
      storedAtMs: broker.env.clock.now(),
      properties: { [TX_ID]: half.transactionId, [HALF_OFFSET]: String(half.halfOffset), [REASON]: reason },
    });
    service.resolutions.set(half.halfOffset, "setAside");
    return true;
  });
}
