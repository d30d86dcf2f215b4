/**
 * Sharding keys, in the shapes real ones come in. A workload draws one style per run, so that code
 * which works only for short ASCII keys (routing by a key's first character or its length, chains
 * keyed by a number parsed out of the key) meets the keys it will meet in production.
 *
 *   short     k1, k2, ...
 *   order     order-100041, order-100042, ...
 *   uuid      3f2c9a1e-7b4d-4c1a-9e2f-5a6b7c8d9e0f (deterministic, from the key's number)
 *   unicode   the empty string first, then 客户/2 🛒, 客户/3 🛒, ...
 */
import fc from "fast-check";
import { hashString } from "#harness/sim/rng.ts";

export type KeyStyle = "short" | "order" | "uuid" | "unicode";

/** Shrinks towards "short": a shrunk report shows the plainest keys that still fail. */
export const keyStyleArb: fc.Arbitrary<KeyStyle> = fc.constantFrom("short", "order", "uuid", "unicode");

/** The name of key number `n` (1, 2, ...) in `style`; `prefix` tells keys of different producers apart. */
export function keyName(style: KeyStyle, n: number, prefix = ""): string {
  switch (style) {
    case "short":
      return `${prefix}k${n}`;
    case "order":
      return `${prefix}order-${100_040 + n}`;
    case "uuid":
      return uuidOf(`${prefix}${n}`);
    case "unicode":
      return n === 1 && prefix === "" ? "" : `${prefix}客户/${n} 🛒`;
  }
}

function uuidOf(seed: string): string {
  const hex = (part: number, length: number) =>
    (hashString(`${seed}:${part}`) >>> 0).toString(16).padStart(8, "0").slice(0, length);
  return `${hex(1, 8)}-${hex(2, 4)}-4${hex(3, 3)}-a${hex(4, 3)}-${hex(5, 8)}${hex(6, 4)}`;
}
