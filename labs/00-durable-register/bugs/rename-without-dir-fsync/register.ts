/**
 * Bug zoo, lab 00: RENAME WITHOUT FSYNC OF THE DIRECTORY.
 *
 * Write a temporary file, fsync it, rename it over the old one, acknowledge. The contents are
 * durable, but the rename is a change to the directory, and the directory was never fsynced: after
 * a power loss the file system may come back with the old name pointing at the old file. The
 * acknowledged value silently turns into an older one. Kafka's Utils.atomicMoveWithFallback flushes
 * the parent directory after the move for exactly this reason.
 *
 * Only the save protocol is this entry's own; the file image and the verified load are the
 * reference's (solution/register.ts, sections 1 and 3).
 */
import type { Env } from "#lab";
import { openRegisterWith, reference, writeTemp } from "../../solution/register.ts";

async function store(env: Env, file: Uint8Array): Promise<void> {
  await writeTemp(env, file);
  await env.disk.fsync("register.tmp");
  await env.disk.rename("register.tmp", "register");
  // missing: await env.disk.fsyncDir("");
}

export const openRegister = openRegisterWith({ ...reference, store });
