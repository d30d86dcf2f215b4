/**
 * The labs with a real-database part (`npx lab grade LAB --real-db`): real time, a real PostgreSQL
 * (and, in lab 04, a real Redis), processes killed at exact steps. Not simulated parts: no seeds, no replay, not in the default
 * grade, not saved in `lab status`. Each is loaded only when asked for, so that the other commands
 * never load a database driver.
 */
import type { Implementation } from "./define.ts";
import type { ImplChoice, LabEntry } from "./labs.ts";

/** What a lab's real-database part gives the CLI. */
export interface RealDbPart {
  /** Runs the part, printing as it goes; resolves with the report's lines and whether it passed. */
  run(impl: Implementation<unknown>, choice: ImplChoice): Promise<{ lines: string[]; passed: boolean }>;
}

const PARTS: Record<string, () => Promise<RealDbPart>> = {
  "03": async () => (await import("#labs/03-transactional-messages/tests/real-db-cli.ts")).realDbPart,
  "04": async () => (await import("#labs/04-idempotent-consumption/tests/real-db-cli.ts")).realDbPart,
};

/** The lab's real-database part, or null if it has none. */
export function realDbPartOf(lab: LabEntry): (() => Promise<RealDbPart>) | null {
  return PARTS[lab.id] ?? null;
}
