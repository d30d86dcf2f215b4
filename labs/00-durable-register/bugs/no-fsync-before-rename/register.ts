/**
 * Bug zoo, lab 00: NO FSYNC BEFORE THE RENAME.
 *
 * Write the temporary file, rename it, fsync the directory, acknowledge. The rename is durable, but
 * the file it names may not be: its contents were never flushed. After a power loss, `register`
 * exists and holds zeros, a torn prefix, or nothing. The old value was renamed away, so it is gone
 * too. (ext4 once papered over this for renames with `auto_da_alloc`; no contract promises it.)
 *
 * Only the save protocol is this entry's own; the file image and the verified load are the
 * reference's (solution/register.ts, sections 1 and 3).
 */
import type { Env } from "#lab";
import { openRegisterWith, reference, writeTemp } from "../../solution/register.ts";

async function store(env: Env, file: Uint8Array): Promise<void> {
  await writeTemp(env, file);
  // missing: await env.disk.fsync("register.tmp");
  await env.disk.rename("register.tmp", "register");
  await env.disk.fsyncDir("");
}

export const openRegister = openRegisterWith({ ...reference, store });
