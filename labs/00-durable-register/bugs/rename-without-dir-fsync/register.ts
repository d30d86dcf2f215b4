/**
 * Bug zoo, lab 00: RENAME WITHOUT FSYNC OF THE DIRECTORY.
 *
 * Write a temporary file, fsync it, rename it over the old one, acknowledge. The contents are
 * durable, but the rename is a change to the directory, and the directory was never fsynced: after
 * a power loss the file system may come back with the old name pointing at the old file. The
 * acknowledged value silently turns into an older one. Kafka's Utils.atomicMoveWithFallback flushes
 * the parent directory after the move for exactly this reason.
 */
import type { Env } from "#lab";
import { encode, readVerified } from "../../solution/register.ts";

const FILE = "register";
const TMP = "register.tmp";

export async function openRegister(env: Env) {
  const { disk } = env;
  return {
    async save(value: string): Promise<void> {
      if (await disk.exists(TMP)) await disk.truncate(TMP, 0);
      else await disk.create(TMP);
      await disk.write(TMP, 0, encode(value));
      await disk.fsync(TMP);
      await disk.rename(TMP, FILE);
      // missing: await disk.fsyncDir("");
    },
    async load(): Promise<string | undefined> {
      if (!(await disk.exists(FILE))) return undefined;
      return readVerified(disk, FILE);
    },
  };
}
