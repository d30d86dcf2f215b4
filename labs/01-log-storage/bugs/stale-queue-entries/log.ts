/** The reference log, with the ConsumeQueueStore of this folder's consume-queue.ts in place of the solution's. */
import type { Env } from "#lab";
import { defaultParts, type LogConfig, type MessageLog, openLogWith } from "../../solution/log.ts";
import { ConsumeQueueStore } from "./consume-queue.ts";

export * from "../../solution/log.ts";
export { ConsumeQueueStore };

export function openLog(env: Env, config: LogConfig): Promise<MessageLog> {
  return openLogWith({ ...defaultParts, ConsumeQueueStore }, env, config);
}
