/**
 * Bug zoo, lab 03: A HALF'S AGE ON THE PRODUCER'S CLOCK.
 *
 * The reference check service with one part replaced: the age of a half. "The half says when it
 * was born; now minus born is its age." Born is the producer's clock, not the broker's: a producer
 * a minute behind makes its half look a minute old the moment it is stored, and the half is
 * checked while its local transaction is still running. RocketMQ computes the age this way
 * (apache/rocketmq#9640).
 */
import type { HalfMessage, ServiceContext } from "#labs/03-transactional-messages/provided.ts";
import { checkOnceWith } from "../../solution/check-with.ts";
import { checkParts } from "../../solution/parts.ts";

function ageOf(service: ServiceContext, half: HalfMessage): number {
  // The bug: the producer's clock at birth, read against the broker's clock now.
  return service.broker.env.clock.now() - half.bornAtMs;
}

export const checkOnce = checkOnceWith({ ...checkParts, ageOf });
