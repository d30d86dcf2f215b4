/**
 * Bug zoo, lab 00: IN MEMORY ONLY.
 *
 * Keeps the value in a variable. It is correct, fast, and passes L0.A: with no faults, nobody can
 * tell. The first process crash takes every acknowledged value with it. This is what "acknowledged"
 * means when a broker's flush is asynchronous and its machine dies before the flush: RocketMQ's
 * default ASYNC_FLUSH accepts that risk and leans on replication instead.
 */
import type { Env } from "#lab";

export async function openRegister(env: Env) {
  void env;
  let current: string | undefined;
  return {
    async save(value: string): Promise<void> {
      current = value;
    },
    async load(): Promise<string | undefined> {
      return current;
    },
  };
}
