/**
 * The broker: a node that stores messages in topics of N queues and serves producers and consumers.
 *
 *   producers  --send-->  [ idempotence check ] --> store (durable) --> reply with the queue offset
 *   consumers  --pull-->  store reads by queue offset
 *              --heartbeat / members-->  group membership
 *              --lock / unlock-->  queue leases with fencing tokens
 *              --commitOffset-->  offsets (checked against the fencing token), persisted periodically
 *   producers  --sendHalf / endTransaction-->  the transaction service plug-in, if configured
 *              --producerHeartbeat-->  producer registry (whom the service may ask a check)
 *   Kafka clients  --initProducerId / addPartitionsToTxn / endTxn-->  the Kafka coordinator plug-in
 *              --produceTxn / fetch-->  partition logs of `payments`, checked by the plug-in (kafka/)
 *              --joinGroup / groupHeartbeat / offsetFetch / txnOffsetCommit / offsetCommit /
 *                addOffsetsToTxn-->  the group coordinator (kafka/groups.ts, lab 04)
 *
 * It is provided, not built by learners: labs 02 to 04 build clients against it. It is written to
 * be correct under the faults those labs inject (its own crashes and power losses, lost, duplicated
 * and reordered requests) and its behaviour under them is part of its contract:
 *   - an acknowledged send is durable (the store flushes before the reply), and appears once if the
 *     producer numbered it (a send with sequence -1 opts out, as a Kafka producer without
 *     idempotence does: each copy that arrives is appended);
 *   - locks live in memory: a restarted broker has no locks, grants none for one lease (so that
 *     every lease from before the restart has ended), and its tokens are all higher;
 *   - committed offsets may go back a little after a broker crash (never forward);
 *   - with a transaction service (`transactions.ts`), half messages, op records and set-asides are
 *     ordinary durable appends, and the service's own state is its business.
 *   - with a Kafka plug-in (`kafka/`), batches and markers are ordinary durable appends, one per
 *     partition at a time, each shown to the partition's state; the coordinator's records are
 *     durable appends to `__transaction_state`, the latest per transactional id wins.
 *
 * It is built on the earlier labs' reference solutions, imported (never copied) through the
 * `#labs/...` alias: messages live in lab 01's log (`#labs/01-log-storage/solution/log.ts`, sync
 * flush with group commit, recovery at start) and committed offsets in lab 00's register
 * (`#labs/00-durable-register/solution/register.ts`). A learner who reaches lab 02 has built both,
 * so the broker's durability is made of parts they know; and the broker stays correct whatever the
 * learner's own versions of those labs do, because it uses the references, not theirs.
 */
import type { Env } from "#lab";
import { Arrivals, announcingAppends } from "./arrivals.ts";
import type { KafkaConfig } from "./kafka/hooks.ts";
import { type KafkaHandlers, kafkaTopicsOf, openKafka } from "./kafka/routing.ts";
import { KeyedMutex } from "./keyed-mutex.ts";
import { LockManager } from "./locks.ts";
import { Membership } from "./membership.ts";
import { OffsetStore } from "./offsets.ts";
import { ProducerTable, streamKey } from "./producers.ts";
import type { BrokerRequest, ReplyOf } from "./protocol.ts";
import type { MessageStore } from "./store.ts";
import { openTransactions, PROGRESS_GROUP, type TransactionService, type TransactionsConfig } from "./transactions.ts";

export interface BrokerConfig {
  /** Topic name -> number of queues. */
  topics: Record<string, number>;
  /** How long a queue lock lasts unless renewed (broker clock). RocketMQ: 60 s. */
  lockLeaseMs: number;
  /** A consumer silent this long leaves its group. */
  sessionMs: number;
  /** How often changed consumer offsets are written to disk. RocketMQ: 5 s. */
  offsetPersistIntervalMs: number;
  /** Most messages one pull returns. */
  pullMax: number;
  /**
   * Long polling (see arrivals.ts): the longest a pull that found its queue empty is held waiting
   * for a message, whatever its `waitMs` asks. Absent: pulls are never held.
   */
  pullHoldMaxMs?: number;
  /**
   * Transactional messages (lab 03): the service plug-in and the producer registry's timeout.
   * Without it, `sendHalf` and `endTransaction` answer `noSuchTopic` and the system topics do not exist.
   */
  transactions?: TransactionsConfig;
  /**
   * Kafka's transactions (lab 03, L3.F): the partition count of the topic `payments` and the
   * coordinator / partition-state plug-in. Without it, the five Kafka requests answer `noSuchTopic`.
   * `payments` and `__transaction_state` are reached only through those requests, never `send` or `pull`.
   */
  kafka?: KafkaConfig;
}

export const defaultBrokerConfig: BrokerConfig = {
  topics: {},
  lockLeaseMs: 600,
  sessionMs: 300,
  offsetPersistIntervalMs: 100,
  pullMax: 32,
};

export interface Broker {
  readonly epoch: number;
  /**
   * The committed offset of a queue for a group, and the token it was committed under, as this
   * incarnation holds it now: for graders, which compare it with where a consumer started.
   */
  committed(group: string, topic: string, queueId: number): { offset: number; token: number };
  handle(from: string, request: BrokerRequest): Promise<ReplyOf[BrokerRequest["type"]]>;
  /** The transaction service this broker runs, if any: for graders that read its reports. */
  readonly transactionService: TransactionService | null;
}

/** Opens the store (recovering it), rebuilds producer state, and starts serving requests. */
export async function openBroker(env: Env, config: BrokerConfig, rawStore: MessageStore): Promise<Broker> {
  // Only a broker that holds pulls announces its appends: without it, appends run as they always did.
  const arrivals = config.pullHoldMaxMs === undefined ? null : new Arrivals(env.clock);
  const store = arrivals === null ? rawStore : announcingAppends(rawStore, arrivals);
  const offsets = await OffsetStore.open(env);
  const locks = new LockManager(offsets.epoch, config.lockLeaseMs, env.clock.now());
  const membership = new Membership(config.sessionMs);
  const producers = new ProducerTable();
  await store.scan((m) => producers.record(m.producerId, m.topic, m.queueId, m.sequence, m.queueOffset));
  let nextProducer = 1;
  const streams = new KeyedMutex();
  // The service recovers here, before the broker serves anything (onRequest is set last).
  const transactions =
    config.transactions === undefined ? null : await openTransactions(env, config.transactions, store, offsets);
  const isSystemTopic = (topic: string): boolean => transactions?.isSystemTopic(topic) ?? false;
  // The progress counters are the system group's offsets: no client may read or move them.
  const isSystemGroup = (group: string): boolean => transactions !== null && group === PROGRESS_GROUP;
  // The Kafka side opens and replays its partition logs here, also before anything is served.
  const kafka = config.kafka === undefined ? null : await openKafkaSide(env, config, config.kafka, store);

  env.clock.setInterval(config.offsetPersistIntervalMs, () => {
    offsets.persist().catch((error: unknown) => env.log.error({ error }, "persisting offsets failed; will retry"));
  });

  const hasQueue = (topic: string, queueId: number): boolean => {
    const count = config.topics[topic];
    return count !== undefined && Number.isInteger(queueId) && queueId >= 0 && queueId < count;
  };

  /** A queue `pull` may read: a configured topic's, or a system topic's (one queue each). */
  const isReadable = (topic: string, queueId: number): boolean =>
    hasQueue(topic, queueId) || (isSystemTopic(topic) && queueId === 0);

  const handlers: {
    [K in BrokerRequest["type"]]: (request: Extract<BrokerRequest, { type: K }>, from: string) => Promise<ReplyOf[K]>;
  } = {
    async route(request) {
      const count = config.topics[request.topic];
      return count === undefined ? { kind: "noSuchTopic" } : { kind: "ok", queueCount: count };
    },

    async initProducer() {
      return { kind: "ok", producerId: `p${offsets.epoch}.${nextProducer++}` };
    },

    async send(request) {
      // System topics are written by the transaction service only [NOT_ALLOWED_SEND_TOPIC_SET].
      if (isSystemTopic(request.topic) || !hasQueue(request.topic, request.queueId)) return { kind: "noSuchTopic" };
      const { producerId, topic, queueId, sequence } = request;
      // One message of a (producer, queue) stream at a time: the check and the append are atomic.
      return streams.run(streamKey(producerId, topic, queueId), async () => {
        const check = producers.check(producerId, topic, queueId, sequence);
        if (check.kind !== "append") return check;
        try {
          const queueOffset = await store.append({
            topic,
            queueId,
            key: request.key,
            body: request.body,
            producerId,
            sequence,
            storedAtMs: env.clock.now(),
          });
          producers.record(producerId, topic, queueId, sequence, queueOffset);
          return { kind: "ok", queueOffset };
        } catch (error) {
          return { kind: "error", message: error instanceof Error ? error.message : String(error) };
        }
      });
    },

    async pull(request) {
      if (!isReadable(request.topic, request.queueId)) return { kind: "noSuchTopic" };
      let { minOffset, maxOffset } = store.bounds(request.topic, request.queueId);
      if (request.offset < minOffset) return { kind: "offsetOutOfRange", minOffset };
      const max = Math.max(0, Math.min(request.max, config.pullMax));
      let messages = await store.read(request.topic, request.queueId, request.offset, max);
      const holdMs = Math.min(request.waitMs ?? 0, config.pullHoldMaxMs ?? 0);
      if (messages.length === 0 && arrivals !== null && holdMs > 0) {
        // Nothing yet: hold the pull until the queue's next append, or until the hold is over.
        await arrivals.next(request.topic, request.queueId, holdMs);
        ({ minOffset, maxOffset } = store.bounds(request.topic, request.queueId));
        if (request.offset < minOffset) return { kind: "offsetOutOfRange", minOffset };
        messages = await store.read(request.topic, request.queueId, request.offset, max);
      }
      const last = messages.at(-1);
      return {
        kind: "ok",
        messages,
        nextOffset: last === undefined ? request.offset : last.queueOffset + 1,
        maxOffset,
      };
    },

    async heartbeat(request) {
      membership.heartbeat(request.group, request.consumerId, env.clock.now());
      return { kind: "ok" };
    },

    async members(request) {
      return { kind: "ok", consumerIds: membership.members(request.group, env.clock.now()) };
    },

    async lock(request) {
      const count = config.topics[request.topic];
      if (count === undefined) return { kind: "noSuchTopic" };
      const queueIds = request.queueIds.filter((q) => hasQueue(request.topic, q));
      return {
        kind: "ok",
        granted: locks.lock(request.group, request.topic, request.consumerId, queueIds, env.clock.now()),
      };
    },

    async unlock(request) {
      const released = locks.unlock(request.group, request.topic, request.consumerId, request.queueId);
      return released ? { kind: "ok" } : { kind: "notOwner" };
    },

    async queryOffset(request) {
      if (isSystemGroup(request.group) || !hasQueue(request.topic, request.queueId)) return { kind: "noSuchTopic" };
      return { kind: "ok", offset: offsets.get(request.group, request.topic, request.queueId).offset };
    },

    async commitOffset(request) {
      const { group, topic, queueId, token } = request;
      if (isSystemGroup(group) || !hasQueue(topic, queueId)) return { kind: "noSuchTopic" };
      // A commit is fenced if a newer owner exists: a newer lock, or a commit made under a newer one.
      const newest = Math.max(locks.currentToken(group, topic, queueId), offsets.get(group, topic, queueId).token);
      if (token < newest) return { kind: "fenced", currentToken: newest };
      offsets.commit(group, topic, queueId, request.offset, token);
      return { kind: "ok" };
    },

    async sendHalf(request, from) {
      // The broker checks the real queue, as RocketMQ's send path does before any half is stored.
      if (transactions === null || isSystemTopic(request.topic) || !hasQueue(request.topic, request.queueId)) {
        return { kind: "noSuchTopic" };
      }
      return transactions.service.sendHalf(from, request);
    },

    async endTransaction(request, from) {
      if (transactions === null) return { kind: "noSuchTopic" };
      return transactions.service.endTransaction(from, request);
    },

    async producerHeartbeat(request, from) {
      transactions?.producers.heartbeat(request.group, from, env.clock.now());
      return { kind: "ok" };
    },

    initProducerId: async (request) => (kafka === null ? { kind: "noSuchTopic" } : kafka.initProducerId(request, "")),
    addPartitionsToTxn: async (request) =>
      kafka === null ? { kind: "noSuchTopic" } : kafka.addPartitionsToTxn(request, ""),
    produceTxn: async (request) => (kafka === null ? { kind: "noSuchTopic" } : kafka.produceTxn(request, "")),
    endTxn: async (request) => (kafka === null ? { kind: "noSuchTopic" } : kafka.endTxn(request, "")),
    fetch: async (request) => (kafka === null ? { kind: "noSuchTopic" } : kafka.fetch(request, "")),
    addOffsetsToTxn: async (request, from) =>
      kafka === null ? { kind: "noSuchTopic" } : kafka.addOffsetsToTxn(request, from),
    joinGroup: async (request, from) => (kafka === null ? { kind: "noSuchTopic" } : kafka.joinGroup(request, from)),
    groupHeartbeat: async (request, from) =>
      kafka === null ? { kind: "noSuchTopic" } : kafka.groupHeartbeat(request, from),
    offsetFetch: async (request, from) => (kafka === null ? { kind: "noSuchTopic" } : kafka.offsetFetch(request, from)),
    txnOffsetCommit: async (request, from) =>
      kafka === null ? { kind: "noSuchTopic" } : kafka.txnOffsetCommit(request, from),
    offsetCommit: async (request, from) =>
      kafka === null ? { kind: "noSuchTopic" } : kafka.offsetCommit(request, from),
  };

  const broker: Broker = {
    epoch: offsets.epoch,
    committed: (group, topic, queueId) => offsets.get(group, topic, queueId),
    transactionService: transactions?.service ?? null,
    handle(from, request) {
      const handler = handlers[request.type] as (
        r: BrokerRequest,
        from: string,
      ) => Promise<ReplyOf[BrokerRequest["type"]]>;
      if (handler === undefined)
        return Promise.reject(new TypeError(`unknown broker request '${String(request.type)}'`));
      return handler(request, from);
    },
  };
  env.net.onRequest((from, request) => broker.handle(from, request as BrokerRequest));
  return broker;
}

/** The Kafka side, on the same store; its topics must not be configured as lab 02 topics too. */
function openKafkaSide(
  env: Env,
  config: BrokerConfig,
  kafka: KafkaConfig,
  store: MessageStore,
): Promise<KafkaHandlers> {
  const clash = kafkaTopicsOf(kafka).find((topic) => config.topics[topic] !== undefined);
  if (clash !== undefined)
    throw new RangeError(`topic '${clash}' belongs to the Kafka side; it cannot be in config.topics`);
  return openKafka(env, kafka, store, config.pullMax);
}
