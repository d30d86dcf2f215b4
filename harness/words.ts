/**
 * Counts in words, for reports a learner reads: "1 seed", "2 seeds", never "1 seeds". Lab
 * workloads that describe their scenarios can use it too.
 */

/** `count` and the noun, in the singular for exactly one: plural(1, "fault event") is "1 fault event". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
