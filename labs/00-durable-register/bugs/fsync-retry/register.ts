/**
 * Bug zoo, lab 00: RETRYING FSYNC AFTER EIO.
 *
 * The reference protocol, with one "robustness" improvement: when fsync fails, try again. The
 * second fsync succeeds, because the failed one already dropped the dirty pages: there is nothing
 * left to flush. save() acknowledges a value that is on no disk at all. PostgreSQL did this until
 * 2018 ("fsyncgate"); since then it treats a failed fsync as a reason to crash and recover from its
 * log. The honest answer is to fail the save.
 *
 * Only the save protocol is this entry's own; the file image and the verified load are the
 * reference's (solution/register.ts, sections 1 and 3).
 */
import type { Env } from "#lab";
import { openRegisterWith, reference, writeTemp } from "../../solution/register.ts";

const FSYNC_ATTEMPTS_MAX = 3;

async function fsyncWithRetry(env: Env, path: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await env.disk.fsync(path);
      return;
    } catch (error) {
      if (attempt >= FSYNC_ATTEMPTS_MAX) throw error;
      env.log.warn({ error, attempt }, "fsync failed, retrying"); // the bug
    }
  }
}

async function store(env: Env, file: Uint8Array): Promise<void> {
  await writeTemp(env, file);
  await fsyncWithRetry(env, "register.tmp");
  await env.disk.rename("register.tmp", "register");
  await env.disk.fsyncDir("");
}

export const openRegister = openRegisterWith({ ...reference, store });
