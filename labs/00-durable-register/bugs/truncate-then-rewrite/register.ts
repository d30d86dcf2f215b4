/**
 * Bug zoo, lab 00: TRUNCATE, THEN REWRITE.
 *
 * One file, cut to nothing and written again, fsynced before save() returns. It looks careful: the
 * fsync is there, and a checksum guards the bytes. But between the truncate and the write there is
 * a moment when the only copy of the acknowledged value is gone, and a process crash in that
 * moment (no power loss needed: the page cache faithfully keeps the empty file) leaves nothing to
 * load. The fix is never to destroy the old value before the new one is durable somewhere else:
 * write a temporary file, fsync it, rename it over the old one.
 */
import type { Env } from "#lab";
import { decode, encode } from "../../solution/register.ts";

const FILE = "register";

export async function openRegister(env: Env) {
  const { disk } = env;
  return {
    async save(value: string): Promise<void> {
      if (await disk.exists(FILE)) {
        await disk.truncate(FILE, 0); // the bug: the old value is gone from here on...
      } else {
        await disk.create(FILE);
        await disk.fsyncDir("");
      }
      await disk.write(FILE, 0, encode(value)); // ...until this lands
      await disk.fsync(FILE);
    },

    async load(): Promise<string | undefined> {
      if (!(await disk.exists(FILE))) return undefined;
      const bytes = await disk.read(FILE, 0, await disk.size(FILE));
      if (bytes.length === 0) return undefined; // "nothing saved yet"
      const decoded = decode(bytes);
      if (!decoded.ok) throw new Error(`corrupt register: ${decoded.reason}`);
      return decoded.value;
    },
  };
}
