/**
 * Bug zoo, lab 00: WRITE IN PLACE.
 *
 * The tempting shortcut: one file, overwritten in place, fsynced before acknowledging. It survives
 * every process crash (the page cache keeps the whole write) and so passes L0.A and L0.B. But a
 * power cut in the middle of the overwrite leaves the only copy torn: some sectors new, some old,
 * some never written. The checksum catches it, so load() does not return garbage; it has nothing to
 * return instead. The acknowledged value is destroyed by the very save that was replacing it.
 * RocketMQ's StoreCheckpoint writes in place too, but into a file it can afford to lose: recovery
 * falls back to scanning the log when the checkpoint is unusable.
 *
 * Only the save protocol is this entry's own; the file image and the verified load are the
 * reference's (solution/register.ts, sections 1 and 3).
 */
import type { Env } from "#lab";
import { openRegisterWith, reference } from "../../solution/register.ts";

async function store(env: Env, file: Uint8Array): Promise<void> {
  const { disk } = env;
  if (!(await disk.exists("register"))) {
    await disk.create("register");
    await disk.fsyncDir("");
  }
  await disk.write("register", 0, file); // overwrites the only copy: the bug
  await disk.truncate("register", file.length);
  await disk.fsync("register");
}

export const openRegister = openRegisterWith({ ...reference, store });
