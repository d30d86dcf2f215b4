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
 */
import type { Env } from "#lab";
import { encode, readVerified } from "../../solution/register.ts";

const FILE = "register";

export async function openRegister(env: Env) {
  const { disk } = env;
  return {
    async save(value: string): Promise<void> {
      if (!(await disk.exists(FILE))) {
        await disk.create(FILE);
        await disk.fsyncDir("");
      }
      const file = encode(value);
      await disk.write(FILE, 0, file); // overwrites the only copy: the bug
      await disk.truncate(FILE, file.length);
      await disk.fsync(FILE);
    },
    async load(): Promise<string | undefined> {
      if (!(await disk.exists(FILE))) return undefined;
      return readVerified(disk, FILE);
    },
  };
}
