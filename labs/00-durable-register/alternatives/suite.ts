/**
 * The test every correct alternative gets (issue 7, point 7: no false failures): it must pass every
 * part of its lab on many seeds. An alternative is a correct implementation written from the stubs'
 * contracts and the guide only, differently from the reference, so a failure here is either a bug
 * in the alternative or a grader that demands more than the contract says.
 *
 * A false failure that is known, reported and being fixed in the harness is listed with the part it
 * hits and the headline it earns, and this test then expects exactly that headline on that part.
 * When the harness fix lands, the expectation fails and says so: delete the entry, and the
 * alternative is held to every part again. (Used by labs 00 and 02; it lives with lab 00's
 * alternatives because lab 00 comes first.)
 */
import { expect, it } from "vitest";
import { gradeInProcess } from "#harness/grade/in-process.ts";
import { findLab } from "#harness/grade/labs.ts";
import { headline } from "#harness/grade/verdict.ts";

export interface Alternative {
  /** Its folder in the lab's `alternatives/`. */
  name: string;
  /** Seeds per part: one count, or a count per part id (parts not named get `other`). */
  seeds: number | { perPart: Record<string, number>; other: number };
  /** Part id -> the headline of a known false failure of the grader on that part (see above). */
  knownFalseFailures?: Record<string, RegExp>;
}

/** Declares the test "a correct alternative (NAME) passes every part on N seeds". */
export function itPassesEveryPart(slug: string, alternative: Alternative): void {
  const { seeds } = alternative;
  const count = typeof seeds === "number" ? `${seeds}` : describeCounts(seeds.perPart, seeds.other);
  it(`a correct alternative (${alternative.name}) passes every part on ${count} seeds`, async () => {
    const lab = await findLab(slug);
    for (const part of lab.manifest.parts) {
      const partSeeds = typeof seeds === "number" ? seeds : (seeds.perPart[part.id] ?? seeds.other);
      const { outcomes } = await gradeInProcess(slug, `alternatives/${alternative.name}`, {
        parts: [part.id],
        seeds: partSeeds,
      });
      const failure = outcomes.get(part.id)?.failure ?? null;
      const said = failure === null ? "passed" : `seed ${failure.seed}: ${headline(failure.verdict)}`;
      const known = alternative.knownFalseFailures?.[part.id];
      if (known === undefined) {
        expect(said, `${part.id} of ${alternative.name}`).toBe("passed");
      } else {
        expect(
          said,
          `${part.id} of ${alternative.name}: the known false failure ${known} no longer happens (harness fixed?): remove it from knownFalseFailures`,
        ).toMatch(known);
      }
    }
  });
}

function describeCounts(perPart: Record<string, number>, other: number): string {
  const named = Object.entries(perPart).map(([id, n]) => `${n} (${id})`);
  return [...named, `${other} (the others)`].join(", ");
}
