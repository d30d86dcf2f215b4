/**
 * Bug zoo, lab 00: NO FSYNC BEFORE THE RENAME.
 *
 * Write the temporary file, rename it, fsync the directory, acknowledge. The rename is durable, but
 * the file it names may not be: its contents were never flushed. After a power loss, `register`
 * exists and holds zeros, a torn prefix, or nothing. The old value was renamed away, so it is gone
 * too. (ext4 once papered over this for renames with `auto_da_alloc`; no contract promises it.)
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
      // missing: await disk.fsync(TMP);
      await disk.rename(TMP, FILE);
      await disk.fsyncDir("");
    },
    async load(): Promise<string | undefined> {
      if (!(await disk.exists(FILE))) return undefined;
      return readVerified(disk, FILE);
    },
  };
}
