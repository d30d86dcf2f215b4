/**
 * Lab 00: a durable register. This is your file.
 *
 * A register holds one string. Build `openRegister(env)`, which returns an object with `save` and
 * `load`, on top of `env.disk` (see the guide, labs/00-durable-register/README.md, for the disk's
 * rules). Grade your work with `npx lab grade 00`; one part at a time with `--part L0.B`.
 *
 * The contract the grader checks, after any mix of crashes, power losses, torn writes, flipped
 * bits and failing fsyncs:
 *   - when `save(v)` resolves, `v` is durable: a later `load()` never returns anything older;
 *   - `load()` returns the last acknowledged value, or a value whose save was attempted after it
 *     (a save interrupted by a crash may or may not have happened), or `undefined` if nothing was
 *     ever acknowledged; never bytes that no save wrote;
 *   - when the disk fails, `save` rejects (throws) rather than pretending; once the fault is gone
 *     the register works again.
 *
 * Rules of the game: use only `env` to reach the outside world (`env.disk`, `env.log`); the grader
 * stops code that calls Date.now(), Math.random() or setTimeout() in a simulated run. Keep every
 * bit of state inside the object you return: the grader loads this file afresh for every process
 * start, as a real restart does, so a module-level variable holds nothing across a crash.
 */
import { type Env, NotImplemented } from "#lab";

export interface Register {
  /**
   * Saves `value`, replacing the previous one.
   *
   * Contract: resolves only once `value` would survive a power loss. Rejects if it cannot make it
   * durable (for example, `env.disk.fsync` threw a `DiskError` with code `EIO`, or a write threw
   * one with code `ENOSPC`); a
   * rejected save may or may not have taken effect, but it must never destroy the previous value.
   *
   * Implementation hints:
   * - Never overwrite the only copy of the current value: a power cut mid-write leaves a torn mix.
   * - A file's contents and its name are made durable by two different calls.
   * - What does the disk hold after an fsync failed? Is a second fsync a fix?
   *
   * @param value any string, from empty to a few kilobytes.
   */
  save(value: string): Promise<void>;

  /**
   * Returns the current value, or `undefined` if no value was ever saved.
   *
   * Contract: never returns a value that no `save` wrote. If the bytes read do not verify, read
   * again (a flipped bit on the way from the disk is usually transient); if they never verify,
   * throw rather than guess.
   *
   * Implementation hints:
   * - How would you know that the bytes you read are the bytes you wrote? Store something with
   *   them that lets you check (`crc32` is exported by "#lab").
   */
  load(): Promise<string | undefined>;
}

/**
 * Opens the register on `env.disk`, recovering whatever an earlier incarnation left there.
 * Called once per process start; the returned object serves every save and load until a crash.
 *
 * @param env this incarnation's environment: `env.disk` for files, `env.log` for logs.
 */
export async function openRegister(env: Env): Promise<Register> {
  // YOUR CODE HERE (L0.A, L0.B, L0.C, L0.D)
  void env;
  throw new NotImplemented("L0.A");
}
