/** The reference log, with the CommitLog of this folder's commit-log.ts in place of the solution's. */
import type { Env } from "#lab";
import { defaultParts, type LogConfig, type MessageLog, openLogWith } from "../../solution/log.ts";
import { CommitLog } from "./commit-log.ts";

export * from "../../solution/log.ts";
export { CommitLog };

export function openLog(env: Env, config: LogConfig): Promise<MessageLog> {
  return openLogWith({ ...defaultParts, CommitLog }, env, config);
}
