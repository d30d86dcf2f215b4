/**
 * Bug zoo, lab 00: TRUNCATE, THEN REWRITE.
 *
 * One file, cut to nothing and written again, fsynced before save() returns. It looks careful: the
 * fsync is there, and a checksum guards the bytes. But between the truncate and the write there is
 * a moment when the only copy of the acknowledged value is gone, and a process crash in that
 * moment (no power loss needed: the page cache faithfully keeps the empty file) leaves nothing to
 * load. The fix is never to destroy the old value before the new one is durable somewhere else:
 * write a temporary file, fsync it, rename it over the old one. Its load takes the empty file such
 * a crash leaves for "nothing saved yet", which makes the loss quiet: undefined, no error.
 *
 * The save protocol and that reading of an empty file are this entry's own; the file image and the
 * verified read are the reference's (solution/register.ts, sections 1 and 3).
 */
import type { Env } from "#lab";
import { type Decoded, openRegisterWith, readVerified, reference } from "../../solution/register.ts";

async function store(env: Env, file: Uint8Array): Promise<void> {
  const { disk } = env;
  if (await disk.exists("register")) {
    await disk.truncate("register", 0); // the bug: the old value is gone from here on...
  } else {
    await disk.create("register");
    await disk.fsyncDir("");
  }
  await disk.write("register", 0, file); // ...until this lands
  await disk.fsync("register");
}

async function read(env: Env, check: (file: Uint8Array) => Decoded): Promise<string | undefined> {
  if ((await env.disk.size("register")) === 0) return undefined; // "nothing saved yet"
  return readVerified(env, check);
}

export const openRegister = openRegisterWith({ ...reference, store, read });
