/**
 * L3.F's simulated deployment: one broker node running the shared broker with the Kafka plug-in
 * built from the learner's coordinator.ts and partition-state.ts (through the provided
 * `assembleKafka`), the harness transactional producers (kafka-client.ts), a read_committed
 * consumer, and an auditor that reads the raw logs once the faults have healed.
 *
 *   k1 (tx-a), k2 (tx-b), k3 (a new incarnation of tx-a), k4 (the probe), k5 (tx-c, which dies
 *   inside its transaction)  --initProducerId / addPartitionsToTxn /
 *       produceTxn / endTxn-->  broker: coordinator + partition states (the learner's), on lab 01's log
 *   c1  --fetch read_committed, every partition, every PULL_EVERY_MS-->  broker
 *   auditor  --fetch read_uncommitted (markers included)-->  broker
 */
import type { TestContext } from "#harness/grade/define.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { Env } from "#lab";
import { assembleKafka } from "#labs/03-transactional-messages/provided.ts";
import { type Broker, defaultBrokerConfig, openBroker } from "#labs/shared/broker/broker.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { openLogStore } from "#labs/shared/broker/log-store.ts";
import type { FetchReply, LogEntry } from "#labs/shared/broker/protocol.ts";
import type { TransactionModule } from "./api.ts";
import { AUDITOR, addPollingConsumer, BROKER, CONSUMER } from "./deployment.ts";

/** The Kafka deployment's broker node. */
export interface KafkaDeployment {
  broker: SimNode<Broker>;
  /** Reads a partition's whole raw log (markers included) through the auditor. */
  readLog(partition: number): Promise<LogEntry[]>;
}

export function deployKafka(ctx: TestContext<TransactionModule>, partitions: number): KafkaDeployment {
  const broker = ctx.world.addNode<Broker>(BROKER, async (env) => {
    const impl = ctx.implFor(env);
    return openBroker(
      env,
      {
        ...defaultBrokerConfig,
        kafka: {
          partitions,
          open: (side) =>
            assembleKafka(side, {
              openCoordinator: impl.openCoordinator,
              openPartitionState: impl.openPartitionState,
              readCommitted: impl.readCommitted,
            }),
        },
      },
      await openLogStore(env),
    );
  });
  const auditor = ctx.world.addNode<Env>(AUDITOR, (env) => env);
  return {
    broker,
    async readLog(partition) {
      if (!auditor.isUp) await auditor.start();
      const outcome = await auditor.invoke(async (env) => {
        const client = new BrokerClient(env.net, BROKER, 200);
        const entries: LogEntry[] = [];
        for (;;) {
          const offset = entries.length;
          const fetched = await client.call({
            type: "fetch",
            partition,
            offset,
            max: 64,
            isolation: "read_uncommitted",
          });
          if (fetched.kind !== "ok" || fetched.reply.kind !== "ok") continue;
          if (fetched.reply.records.length === 0) return entries;
          entries.push(...fetched.reply.records);
        }
      });
      if (outcome.kind !== "ok") throw new Error(`the auditor could not read partition ${partition}: ${outcome.kind}`);
      return outcome.value;
    },
  };
}

/**
 * The read_committed consumer: fetches every partition from offset 0, every PULL_EVERY_MS, and
 * records each record it receives as a `receive` operation {partition, offset, key}. A partition
 * that comes back shorter than its position (a power cut took unsynced entries) is read on from
 * its new end. What read_committed must never hand out, an entry that is not data (a marker) or a
 * reply the protocol does not have, is recorded as a `stray` operation {partition, what}, for the
 * checker to name; the consumer skips it, as Kafka's client skips control batches.
 */
export function addKafkaConsumer(ctx: TestContext<unknown>, partitions: number): SimNode<Env> {
  const stray = (input: { partition: number; what: string }): void =>
    ctx.history.complete(ctx.history.invoke(CONSUMER, "stray", input), "ok");
  return addPollingConsumer(ctx, partitions, async (client, partition, from, receive) => {
    const fetched = await client.call({ type: "fetch", partition, offset: from, max: 32, isolation: "read_committed" });
    if (fetched.kind !== "ok") return from;
    const reply: unknown = fetched.reply;
    if (!isFetchOk(reply)) {
      if (!isFetchRefusal(reply)) stray({ partition, what: `the reply ${JSON.stringify(reply)}` });
      return from;
    }
    const { records, nextOffset, highWatermark } = reply;
    for (const entry of records) {
      if (entry?.kind !== "data") {
        stray({ partition, what: `the entry ${JSON.stringify(entry)}` });
        continue;
      }
      for (const record of entry.records) receive({ partition, offset: entry.offset, key: record.key });
    }
    return records.length === 0 && highWatermark < from ? highWatermark : Math.max(from, nextOffset);
  });
}

type FetchOk = Extract<FetchReply, { kind: "ok" }>;

function isFetchOk(reply: unknown): reply is FetchOk {
  const r = reply as Partial<FetchOk> | null;
  return (
    typeof r === "object" &&
    r !== null &&
    r.kind === "ok" &&
    Array.isArray(r.records) &&
    typeof r.nextOffset === "number" &&
    typeof r.highWatermark === "number"
  );
}

/** A refusal the protocol has: the consumer reads nothing this time. */
function isFetchRefusal(reply: unknown): boolean {
  const kind = (reply as { kind?: unknown } | null)?.kind;
  return kind === "noSuchTopic" || kind === "offsetOutOfRange";
}
