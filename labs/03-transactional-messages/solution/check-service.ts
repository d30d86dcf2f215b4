/**
 * L3.D The check service: a half nobody ended is asked about, on the broker's clock, with a
 * budget of checks spent only on producers that can answer, and set aside when it runs out.
 *
 * RocketMQ's TransactionalMessageCheckService scans the half queue every transactionCheckInterval;
 * a half older than the transaction timeout whose op record is missing gets a CHECK_TRANSACTION_STATE
 * sent to a producer of its group, whose answer comes back as an end request marked as from a
 * check. This one fixes three of RocketMQ's defects: the age is the broker's (#9640), a check is
 * counted only when sent to a live producer, and immunity spends nothing (#8311). See
 * check-with.ts for the scan and the files it names for each decision.
 */
import type { CheckReport, ServiceContext } from "#labs/03-transactional-messages/provided.ts";
import { checkOnceWith } from "./check-with.ts";
import { checkParts } from "./parts.ts";

const checkWith = checkOnceWith(checkParts);

export function checkOnce(service: ServiceContext): Promise<CheckReport> {
  return checkWith(service);
}
