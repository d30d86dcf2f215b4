/**
 * The shape of a lab 00 implementation, as the grader sees it: the exports of `register.ts`.
 * Kept apart from the learner's file so that a broken learner file cannot break the grader's types.
 */
import type { Env } from "#lab";

export interface Register {
  save(value: string): Promise<void>;
  load(): Promise<string | undefined>;
}

export interface RegisterModule {
  openRegister(env: Env): Promise<Register>;
}
