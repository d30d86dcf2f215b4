/**
 * Bug zoo, lab 00: THE EMPTY STRING AS "NOTHING SAVED".
 *
 * A tidy idea: create the register at open with an empty value, so that the file always exists and
 * load() never meets a missing one, and read the empty value back as "nothing saved yet". But the
 * empty string is a value a client can save. After save("") is acknowledged, load() answers
 * undefined: the acknowledged value is lost, with no fault at all. An in-band sentinel always
 * collides with some real value one day. Keep "no value" out of the value's range: here, no file
 * means nothing saved, and any file holds a value.
 *
 * Only the open and the load are this entry's own; the file image, the save protocol and the
 * verified read are the reference's (solution/register.ts, sections 1 to 3).
 */
import type { Env } from "#lab";
import { decode, encode, type Register, readVerified, replaceDurably } from "../../solution/register.ts";

/** What the file holds before the first save. */
const NOTHING = "";

export async function openRegister(env: Env): Promise<Register> {
  if (!(await env.disk.exists("register"))) await replaceDurably(env, encode(NOTHING));
  return {
    save: (value) => replaceDurably(env, encode(value)),
    async load() {
      const value = await readVerified(env, decode);
      return value === NOTHING ? undefined : value; // the bug: "" is a value too
    },
  };
}
