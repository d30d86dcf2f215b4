/**
 * Bug zoo, lab 00: NO CHECKSUM.
 *
 * The protocol is right (temporary file, fsync, rename, fsync of the directory), so nothing
 * acknowledged is ever lost. But the file is the bare value, and load() believes whatever bytes the
 * disk hands back: a flip that breaks UTF-8 is noticed and read again, one that does not is returned
 * as a value no one ever saved. Every record RocketMQ and Kafka store carries a CRC for this reason
 * (BODYCRC in the CommitLog, the batch CRC-32C in Kafka), and both check it on the paths where bytes
 * come back from the disk.
 *
 * Only the file image is this entry's own; the save protocol and the load with its re-reads are
 * the reference's (solution/register.ts, sections 2 and 3).
 */
import { fromUtf8, utf8 } from "#lab";
import { type Decoded, openRegisterWith, reference } from "../../solution/register.ts";

function decode(file: Uint8Array): Decoded {
  try {
    return { ok: true, value: fromUtf8(file) };
  } catch {
    return { ok: false, reason: "not UTF-8" };
  }
}

export const openRegister = openRegisterWith({ ...reference, encode: utf8, decode });
