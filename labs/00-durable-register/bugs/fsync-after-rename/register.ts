/**
 * Bug zoo, lab 00: FSYNC AFTER THE RENAME.
 *
 * Every step of the right protocol is here, in the wrong order: the temporary file is renamed over
 * the register first and fsynced afterwards. A process crash never shows it. A power cut right
 * after the rename can: the file system may have made the rename durable (a journal commits
 * directory changes on its own schedule) while the new file's data, never fsynced, is lost or
 * torn. The old value was replaced by a file that holds nothing. This is the ext4 "zero-length
 * file" story of 2009: write, rename, no fsync first.
 *
 * Only the save protocol is this entry's own; the file image and the verified load are the
 * reference's (solution/register.ts, sections 1 and 3).
 */
import type { Env } from "#lab";
import { openRegisterWith, reference, writeTemp } from "../../solution/register.ts";

async function store(env: Env, file: Uint8Array): Promise<void> {
  await writeTemp(env, file);
  await env.disk.rename("register.tmp", "register"); // the bug: the switch happens before the data is durable
  await env.disk.fsync("register");
  await env.disk.fsyncDir("");
}

export const openRegister = openRegisterWith({ ...reference, store });
