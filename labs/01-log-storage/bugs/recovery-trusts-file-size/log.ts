/** The reference log, with the recoverIfNeeded of this folder's recovery.ts in place of the solution's. */
import type { Env } from "#lab";
import { defaultParts, type LogConfig, type MessageLog, openLogWith } from "../../solution/log.ts";
import { recoverIfNeeded } from "./recovery.ts";

export * from "../../solution/log.ts";

export function openLog(env: Env, config: LogConfig): Promise<MessageLog> {
  return openLogWith({ ...defaultParts, recoverIfNeeded }, env, config);
}
