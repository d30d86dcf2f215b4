/**
 * A part's fault plans applied together: the world's (crashes, pauses, the network) and those of
 * the outside services it runs (the business database, Redis), each counted from now. The
 * workload waits for all of them before its liveness phase.
 */
import type { SimDatabase } from "../sim/db.ts";
import type { SimRedis } from "../sim/redis.ts";
import type { World } from "../sim/world.ts";
import type { History } from "../workloads/history.ts";
import { type DbFaultPlan, dbPlans } from "./db-plan.ts";
import { applyPlan, type FaultPlan } from "./plan.ts";
import { type RedisFaultPlan, redisPlans } from "./redis-plan.ts";

/** The plans of the services a part runs, with the service each applies to. */
export interface ServicePlans {
  db?: { db: SimDatabase; plan: DbFaultPlan };
  redis?: { redis: SimRedis; plan: RedisFaultPlan };
}

/** Every plan of a part, under way. */
export interface AllFaults {
  /** True time by which every fault of every plan is over. */
  readonly endMs: number;
  /** Resolves once every plan has healed (and every node they stopped is running again). */
  healed(): Promise<void>;
}

export function applyAllPlans(world: World, history: History, plan: FaultPlan, services: ServicePlans = {}): AllFaults {
  const active = [
    applyPlan(world, plan, history),
    ...(services.db === undefined ? [] : [dbPlans.apply(world, services.db.db, services.db.plan, history)]),
    ...(services.redis === undefined
      ? []
      : [redisPlans.apply(world, services.redis.redis, services.redis.plan, history)]),
  ];
  return {
    endMs: Math.max(...active.map((faults) => faults.endMs)),
    async healed() {
      for (const faults of active) await faults.healed();
    },
  };
}
