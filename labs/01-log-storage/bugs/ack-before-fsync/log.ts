/** The reference log, with the GroupCommit of this folder's flush.ts in place of the solution's. */
import type { Env } from "#lab";
import { defaultParts, type LogConfig, type MessageLog, openLogWith } from "../../solution/log.ts";
import { GroupCommit } from "./flush.ts";

export * from "../../solution/log.ts";

export function openLog(env: Env, config: LogConfig): Promise<MessageLog> {
  return openLogWith({ ...defaultParts, GroupCommit }, env, config);
}
