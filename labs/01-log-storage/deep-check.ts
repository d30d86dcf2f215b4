/**
 * The deep check of lab 01: grades the reference solution (or any implementation folder) on many
 * more seeds than `npx lab grade` does, part by part, and prints the first failure in full.
 *
 *     npx tsx labs/01-log-storage/deep-check.ts                  2,000 seeds per part, the solution
 *     npx tsx labs/01-log-storage/deep-check.ts 5000             5,000 seeds per part
 *     npx tsx labs/01-log-storage/deep-check.ts 2000 bugs/ack-before-fsync --part L1.D
 *
 * `npm test` grades the solution on fewer seeds per part (see lab.test.ts); this is the promise
 * that it passes every part on at least 2,000.
 */
import { deepCheck } from "#harness/tools/deep-check.ts";

process.exit(await deepCheck("01-log-storage", process.argv.slice(2)));
