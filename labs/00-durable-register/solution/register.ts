/**
 * Lab 00 reference solution: a durable register.
 *
 * A register holds one value. `save(v)` must not return until `v` would survive a power cut, and
 * `load()` must never return garbage or travel back in time past an acknowledged save. Real brokers
 * keep small files exactly like this one: RocketMQ's `config/consumerOffset.json` and its store
 * `checkpoint`, Kafka's `recovery-point-offset-checkpoint` and `replication-offset-checkpoint`.
 *
 * On disk (integers big-endian, as both brokers write them):
 *
 *     register        the current value, written once, never modified in place
 *     register.tmp    the next value while it is being written; garbage after a crash
 *
 *     file := magic u32 "REG1" | length u32 | crc32 u32 (of payload) | payload (UTF-8)
 *
 * The protocol is the classic atomic replace, in four steps, each for a reason:
 *
 *   1. write the whole new file to `register.tmp`   (never touch the old value)
 *   2. fsync `register.tmp`                          (its bytes are on the platter)
 *   3. rename `register.tmp` over `register`         (the switch, atomic in the namespace)
 *   4. fsync the directory                           (the switch itself is on the platter)
 *   -- the commit point: only now may save() resolve.
 *
 * Skip step 2 and a power cut can leave the rename durable but the contents not: `register` then
 * holds zeros or a torn mix. Skip step 4 and the rename may be forgotten: `register` silently goes
 * back to an older value after the user was told the new one was saved. Kafka does the same dance
 * in `Utils.atomicMoveWithFallback` (clients/src/main/java/org/apache/kafka/common/utils/Utils.java),
 * which renames and then flushes the parent directory.
 *
 * The checksum is not needed by the protocol: the rename guarantees `register` is always a complete
 * file. It is there because disks lie in other ways: a read can come back with a flipped bit (a bad
 * cable, a bad sector, a DMA bug), and a register that returned those bytes as a value would be
 * returning garbage. So every read is verified, and re-read when it does not verify.
 *
 * And fsync can fail. When it does, Linux has already dropped the dirty pages: the data is gone, and
 * a second fsync will happily succeed with nothing left to flush (PostgreSQL learned this in 2018,
 * "fsyncgate"). The only honest answer is to fail the save. The old value is still intact, because
 * step 1 never touched it.
 *
 * The file reads in four sections, one idea each: (1) the bytes that hold a value, (2) saving them
 * durably, (3) reading them back, (4) the register, put together from those three parts. The bug
 * zoo (bugs/) swaps one part for a wrong one and keeps the rest, so each entry shows its mistake
 * and nothing else.
 */
import { crc32, type Env, fromUtf8, utf8 } from "#lab";

export interface Register {
  save(value: string): Promise<void>;
  load(): Promise<string | undefined>;
}

// =================================================================================================
// 1. The file image: a value's bytes, and the check that they are the bytes we wrote.

const MAGIC = 0x52454731; // "REG1"
const HEADER_BYTES = 12;

/** What a file image turned out to hold. */
export type Decoded = { ok: true; value: string } | { ok: false; reason: string };

/** The file image for `value`: header (magic, length, CRC-32 of the payload) and payload. */
export function encode(value: string): Uint8Array {
  const payload = utf8(value);
  const file = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(file.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, payload.length);
  view.setUint32(8, crc32(payload));
  file.set(payload, HEADER_BYTES);
  return file;
}

/**
 * Decodes a file image, or says what is wrong with it. The empty string is a value like any other:
 * its image is a header alone, 12 bytes, and it decodes to "".
 */
export function decode(file: Uint8Array): Decoded {
  if (file.length < HEADER_BYTES) return { ok: false, reason: `only ${file.length} bytes` };
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(0) !== MAGIC) return { ok: false, reason: "bad magic" };
  const length = view.getUint32(4);
  if (length !== file.length - HEADER_BYTES) return { ok: false, reason: "length does not match the file size" };
  const payload = file.subarray(HEADER_BYTES);
  if (crc32(payload) !== view.getUint32(8)) return { ok: false, reason: "checksum mismatch" };
  try {
    return { ok: true, value: fromUtf8(payload) };
  } catch {
    return { ok: false, reason: "payload is not UTF-8" };
  }
}

// =================================================================================================
// 2. Saving: the atomic replace, steps 1 to 4 of the opening comment.

const FILE = "register";
const TMP = "register.tmp";
const DIR = "";

/**
 * Step 1: a fresh `register.tmp` that holds `file`. An earlier save that crashed may have left one
 * behind, half written: cut it to nothing rather than write over it, so no stale tail survives.
 */
export async function writeTemp(env: Env, file: Uint8Array): Promise<void> {
  const { disk } = env;
  if (await disk.exists(TMP)) await disk.truncate(TMP, 0);
  else await disk.create(TMP);
  await disk.write(TMP, 0, file);
}

/** Makes `file` the register's contents, durably: resolves at the commit point, never before. */
export async function replaceDurably(env: Env, file: Uint8Array): Promise<void> {
  const { disk } = env;
  // 1. A fresh temporary file. The old value is not touched.
  await writeTemp(env, file);
  // 2. Its contents durable. An EIO here rejects save(): the old value is untouched.
  await disk.fsync(TMP);
  // 3. The switch.
  await disk.rename(TMP, FILE);
  // 4. The switch durable.
  await disk.fsyncDir(DIR);
  // -- the commit point: the value survives any crash or power loss from here on.
  env.log.debug({ bytes: file.length }, "saved");
}

// =================================================================================================
// 3. Loading: read, verify, and re-read what does not verify.

/** Reads that fail verification are retried this many times before we call the file corrupt. */
const READ_ATTEMPTS_MAX = 16;

/** Thrown by `load()` when the file stays unreadable: we refuse to invent a value. */
export class CorruptRegisterError extends Error {
  constructor(reason: string) {
    super(`the register file is corrupt: ${reason}`);
    this.name = "CorruptRegisterError";
  }
}

/**
 * Reads and verifies the register file (which exists). A flipped bit on the way from the disk is
 * transient, so a failed verification is retried; a file that never verifies is reported, never
 * returned, and never taken for an empty register: that would lose the acknowledged value.
 */
export async function readVerified(env: Env, check: (file: Uint8Array) => Decoded): Promise<string> {
  const { disk } = env;
  let reason = "";
  for (let attempt = 0; attempt < READ_ATTEMPTS_MAX; attempt++) {
    const size = await disk.size(FILE);
    const result = check(await disk.read(FILE, 0, size));
    if (result.ok) return result.value;
    reason = result.reason;
  }
  throw new CorruptRegisterError(reason);
}

// =================================================================================================
// 4. The register, put together from its parts.

/** The parts of a register: each section above is one. A bug-zoo entry replaces the one it breaks. */
export interface RegisterParts {
  encode(value: string): Uint8Array;
  decode(file: Uint8Array): Decoded;
  store(env: Env, file: Uint8Array): Promise<void>;
  read(env: Env, check: (file: Uint8Array) => Decoded): Promise<string | undefined>;
}

export const reference: RegisterParts = { encode, decode, store: replaceDurably, read: readVerified };

/** `openRegister`, built from `parts`: the register over `env.disk` that they make together. */
export function openRegisterWith(parts: RegisterParts): (env: Env) => Promise<Register> {
  return async (env) => ({
    save: (value) => parts.store(env, parts.encode(value)),
    async load() {
      if (!(await env.disk.exists(FILE))) return undefined;
      return parts.read(env, parts.decode);
    },
  });
}

export async function openRegister(env: Env): Promise<Register> {
  // Nothing to recover: `register` is always complete (or absent), and `register.tmp` is either
  // garbage from an interrupted save or a copy the next save overwrites. No repair step, no
  // special case.
  return openRegisterWith(reference)(env);
}
