/**
 * Bug zoo, lab 00: FSYNC AFTER THE RENAME.
 *
 * Every step of the right protocol is here, in the wrong order: the temporary file is renamed over
 * the register first and fsynced afterwards. A process crash never shows it. A power cut right
 * after the rename can: the file system may have made the rename durable (a journal commits
 * directory changes on its own schedule) while the new file's data, never fsynced, is lost or
 * torn. The old value was replaced by a file that holds nothing. This is the ext4 "zero-length
 * file" story of 2009: write, rename, no fsync first.
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
      await disk.rename(TMP, FILE); // the bug: the switch happens before the data is durable
      await disk.fsync(FILE);
      await disk.fsyncDir("");
    },

    async load(): Promise<string | undefined> {
      if (!(await disk.exists(FILE))) return undefined;
      return readVerified(disk);
    },
  };
}
