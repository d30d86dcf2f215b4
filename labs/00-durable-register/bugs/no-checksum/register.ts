/**
 * Bug zoo, lab 00: NO CHECKSUM.
 *
 * The protocol is right (temporary file, fsync, rename, fsync of the directory), so nothing
 * acknowledged is ever lost. But the file is the bare value, and load() believes whatever bytes the
 * disk hands back. When a read returns a flipped bit, load() returns a value no one ever saved.
 * Every record RocketMQ and Kafka store carries a CRC for this reason (BODYCRC in the CommitLog,
 * the batch CRC-32C in Kafka), and both check it on the paths where bytes come back from the disk.
 */
import { type Env, fromUtf8, utf8 } from "#lab";

const FILE = "register";
const TMP = "register.tmp";

export async function openRegister(env: Env) {
  const { disk } = env;
  return {
    async save(value: string): Promise<void> {
      if (await disk.exists(TMP)) await disk.truncate(TMP, 0);
      else await disk.create(TMP);
      await disk.write(TMP, 0, utf8(value));
      await disk.fsync(TMP);
      await disk.rename(TMP, FILE);
      await disk.fsyncDir("");
    },
    async load(): Promise<string | undefined> {
      if (!(await disk.exists(FILE))) return undefined;
      const bytes = await disk.read(FILE, 0, await disk.size(FILE));
      try {
        return fromUtf8(bytes);
      } catch {
        // A flip that breaks UTF-8 is noticed; one that does not, is returned as a value.
        return fromUtf8(await disk.read(FILE, 0, await disk.size(FILE)));
      }
    },
  };
}
