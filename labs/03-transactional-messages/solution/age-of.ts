/**
 * L3.D, a half's age: measured on the broker's clock, from when the broker stored it. The half's
 * born time is the producer's clock, which may be a minute off the broker's (RocketMQ computes the
 * age from the born timestamp, apache/rocketmq#9640).
 */
import type { HalfMessage, ServiceContext } from "#labs/03-transactional-messages/provided.ts";

export function ageOf(service: ServiceContext, half: HalfMessage): number {
  return service.broker.env.clock.now() - half.storedAtMs;
}
