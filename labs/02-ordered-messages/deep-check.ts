/**
 * The deep check of lab 02: grades the reference solution (or any implementation folder) on many
 * more seeds than `npx lab grade` does, part by part, and prints the first failure in full.
 *
 *     npx tsx labs/02-ordered-messages/deep-check.ts                         2,000 seeds per part
 *     npx tsx labs/02-ordered-messages/deep-check.ts 5000 --first 2001       seeds 2001..7000
 *     npx tsx labs/02-ordered-messages/deep-check.ts 500 bugs/lock-never-renewed --part L2.D
 *
 * lab.test.ts grades the solution on 200 seeds per part, to keep `npm test` quick; this is the
 * promise that it passes every part on at least 2,000. (The last recorded run is in the guide,
 * section 9, "Running the grader".)
 */
import { deepCheck } from "#harness/tools/deep-check.ts";

process.exit(await deepCheck("02-ordered-messages", process.argv.slice(2)));
