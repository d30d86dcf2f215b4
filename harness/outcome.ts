/**
 * A call's outcome in one word, as the services' test suites compare them (db-behaviour.ts,
 * redis-behaviour.ts, their models' tests): what it returned, or the name of the error it threw.
 */

/** The error's class name (`UniqueViolation`, `RedisOutcomeUnknown`), or the thrown value as text. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}

/** What `run` resolved to, or the name of the error it threw. */
export async function outcome<T>(run: Promise<T>): Promise<T | string> {
  try {
    return await run;
  } catch (error) {
    return errorName(error);
  }
}
