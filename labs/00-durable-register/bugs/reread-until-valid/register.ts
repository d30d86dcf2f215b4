/**
 * Bug zoo, lab 00: RE-READ UNTIL IT VERIFIES.
 *
 * A flipped bit on the way from the disk is transient, so a failed check is worth a second read.
 * This load takes that one step too far: it reads again until the bytes verify, with no bound. As
 * long as the flips are rare, nobody can tell. When the disk (or the cable, or the controller)
 * keeps returning damaged bytes, load() never returns and never throws: the caller hangs, with no
 * error to act on. Bound every retry, then say what went wrong: Kafka's record batches check their
 * CRC in `ensureValid()` and throw a CorruptRecordException, once, rather than read again forever.
 *
 * Only the read is this entry's own; the file image and the save protocol are the reference's
 * (solution/register.ts, sections 1 and 2).
 */
import type { Env } from "#lab";
import { type Decoded, openRegisterWith, reference } from "../../solution/register.ts";

async function read(env: Env, check: (file: Uint8Array) => Decoded): Promise<string> {
  for (;;) {
    const result = check(await env.disk.read("register", 0, await env.disk.size("register")));
    if (result.ok) return result.value;
    // the bug: no bound, so a file that never verifies is read forever
  }
}

export const openRegister = openRegisterWith({ ...reference, read });
