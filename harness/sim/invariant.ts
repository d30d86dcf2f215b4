/**
 * Assertions on the harness's own invariants.
 *
 * A simulator that quietly repairs an impossible value (a NaN time, an event in the past) turns its
 * own bug into a strange run that a learner would blame on their code. So the simulation checks its
 * invariants where values cross a boundary, and a broken one stops the run with a message that
 * names the harness, never the learner.
 */

/** A broken invariant of the harness: a bug in the grader, not in the code it grades. */
export class HarnessInvariantError extends Error {
  constructor(message: string) {
    super(`harness invariant broken (a bug in the grader, not in your code; please report it): ${message}`);
    this.name = "HarnessInvariantError";
  }
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new HarnessInvariantError(message());
}
