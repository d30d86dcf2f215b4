/**
 * The reference's parts, one object per learner file that is assembled from parts. A learner file
 * of the solution passes its object to its `...With` function; a bug-zoo entry spreads the same
 * object and replaces the one part it breaks, so that the entry holds only its bug.
 */

import { advanceProgress } from "./advance-progress.ts";
import { ageOf } from "./age-of.ts";
import { alreadyResolved } from "./already-resolved.ts";
import { answerCheck } from "./answer-check.ts";
import { checkSequence, isFenced, mayOpen, readableEnd } from "./append-gate.ts";
import type { CheckParts } from "./check-with.ts";
import type { CoordinatorParts } from "./coordinator-with.ts";
import { decide } from "./decide.ts";
import { dueForCheck } from "./due-for-check.ts";
import type { EndParts } from "./end-with.ts";
import { epochAfterEnd, epochAfterInit, epochAfterTimeout, mayAct, startOf } from "./fence.ts";
import { appendDurably, appendHalf } from "./half-io.ts";
import type { HalfStoreParts } from "./half-store-with.ts";
import { lockHalf } from "./lock-half.ts";
import { writeMarkers } from "./markers.ts";
import type { PartitionStateParts } from "./partition-state-with.ts";
import type { ProducerParts } from "./producer-with.ts";
import { resolve } from "./resolve-half.ts";
import { runLocal } from "./run-local.ts";
import { endWith } from "./send-end.ts";
import { sendHalf } from "./send-half.ts";
import { setAside } from "./set-aside.ts";
import { spendCheck } from "./spend-check.ts";
import { scheduleTimeoutScan } from "./timeout-scan.ts";

export const coordinatorParts: CoordinatorParts = {
  mayAct,
  startOf,
  epochAfterEnd,
  epochAfterTimeout,
  epochAfterInit,
  writeMarkers,
  scheduleTimeoutScan,
};

export const partitionStateParts: PartitionStateParts = { isFenced, checkSequence, mayOpen, readableEnd };

export const halfStoreParts: HalfStoreParts = { appendHalf, appendReal: appendDurably, appendOp: appendDurably };

export const producerParts: ProducerParts = { sendHalf, runLocal, decide, answerCheck, endWith };

export const endParts: EndParts = { lockHalf, alreadyResolved, resolve };

export const checkParts: CheckParts = { ageOf, dueForCheck, spendCheck, setAside, advanceProgress };
