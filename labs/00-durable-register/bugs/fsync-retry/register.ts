/**
 * Bug zoo, lab 00: RETRYING FSYNC AFTER EIO.
 *
 * The reference protocol, with one "robustness" improvement: when fsync fails, try again. The
 * second fsync succeeds, because the failed one already dropped the dirty pages: there is nothing
 * left to flush. save() acknowledges a value that is on no disk at all. PostgreSQL did this until
 * 2018 ("fsyncgate"); since then it treats a failed fsync as a reason to crash and recover from its
 * log. The honest answer is to fail the save.
 */
import type { Env } from "#lab";
import { encode, readVerified } from "../../solution/register.ts";

const FILE = "register";
const TMP = "register.tmp";
const FSYNC_ATTEMPTS_MAX = 3;

export async function openRegister(env: Env) {
  const { disk } = env;
  const fsyncWithRetry = async (path: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await disk.fsync(path);
        return;
      } catch (error) {
        if (attempt >= FSYNC_ATTEMPTS_MAX) throw error;
        env.log.warn({ error, attempt }, "fsync failed, retrying"); // the bug
      }
    }
  };
  return {
    async save(value: string): Promise<void> {
      if (await disk.exists(TMP)) await disk.truncate(TMP, 0);
      else await disk.create(TMP);
      await disk.write(TMP, 0, encode(value));
      await fsyncWithRetry(TMP);
      await disk.rename(TMP, FILE);
      await disk.fsyncDir("");
    },
    async load(): Promise<string | undefined> {
      if (!(await disk.exists(FILE))) return undefined;
      return readVerified(disk, FILE);
    },
  };
}
