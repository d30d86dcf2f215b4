/**
 * Bug zoo, lab 00: AN UNREADABLE FILE TAKEN FOR AN EMPTY REGISTER.
 *
 * The reads are verified and re-read, as they should be. But when the file still does not verify
 * after every re-read, this load gives up quietly: it logs a warning and answers undefined, as if
 * nothing had ever been saved, so that the program "keeps running". The client was told its value
 * was saved, and now hears that there is none: a lost write, dressed as a fresh start. Real
 * brokers keep "I cannot read this" apart from "there is nothing": Kafka's checkpoint reader throws
 * an IOException on a file it cannot parse (server-common's CheckpointFile), and the log manager
 * then recovers the whole log from its start, a safe default rather than an empty one. Throw rather
 * than guess.
 *
 * Only the read is this entry's own; the file image and the save protocol are the reference's
 * (solution/register.ts, sections 1 and 2).
 */
import type { Env } from "#lab";
import { type Decoded, openRegisterWith, reference } from "../../solution/register.ts";

const READ_ATTEMPTS_MAX = 16;

async function read(env: Env, check: (file: Uint8Array) => Decoded): Promise<string | undefined> {
  for (let attempt = 1; attempt <= READ_ATTEMPTS_MAX; attempt++) {
    const result = check(await env.disk.read("register", 0, await env.disk.size("register")));
    if (result.ok) return result.value;
    env.log.debug({ attempt, reason: result.reason }, "register did not verify, reading again");
  }
  env.log.warn("register never verified: starting empty"); // the bug
  return undefined;
}

export const openRegister = openRegisterWith({ ...reference, read });
