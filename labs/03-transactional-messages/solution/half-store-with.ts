/**
 * L3.A, assembled: a half is stored, read back, committed or rolled back through the broker's
 * store, by the appends named in `HalfStoreParts` (half-io.ts has the reference's; half-codec.ts
 * says what each message looks like).
 *
 * A commit is two appends, the real message first and the op record second. In that order, a crash
 * between them leaves a delivered message whose half looks unresolved (recovery, L3.E, repairs
 * it); in the other order it would leave a half marked committed whose message never reaches
 * anyone, which nothing could repair.
 */
import {
  type BrokerSide,
  HALF_TOPIC,
  type HalfMessage,
  type NewMessage,
  type SendHalfReply,
  type SendHalfRequest,
} from "#labs/03-transactional-messages/provided.ts";
import { halfOf, halfRecord, opRecordOf, realMessageOf } from "./half-codec.ts";

export interface HalfStoreParts {
  /** Appends a new half's record; resolves with its offset in HALF_TOPIC. */
  appendHalf(broker: BrokerSide, record: NewMessage): Promise<number>;
  /** Appends a committed half's real message to its real queue. */
  appendReal(broker: BrokerSide, message: NewMessage): Promise<void>;
  /** Appends an op record, which marks a half as done. */
  appendOp(broker: BrokerSide, op: NewMessage): Promise<void>;
}

/** half-store.ts's exports, as the grader asks for them. */
export interface HalfStoreFile {
  storeHalf(broker: BrokerSide, producerId: string, request: SendHalfRequest): Promise<SendHalfReply>;
  readHalf(broker: BrokerSide, halfOffset: number): Promise<HalfMessage | null>;
  commitHalf(broker: BrokerSide, half: HalfMessage): Promise<void>;
  rollbackHalf(broker: BrokerSide, half: HalfMessage): Promise<void>;
}

export function halfStoreWith(parts: HalfStoreParts): HalfStoreFile {
  return {
    async storeHalf(broker, producerId, request) {
      try {
        const halfOffset = await parts.appendHalf(broker, halfRecord(producerId, request, broker.env.clock.now()));
        return { kind: "ok", halfOffset };
      } catch (error) {
        // Whether the half reached the disk is unknown: the producer must treat it as unknown too.
        return { kind: "error", message: error instanceof Error ? error.message : String(error) };
      }
    },

    async readHalf(broker, halfOffset) {
      if (!Number.isSafeInteger(halfOffset) || halfOffset < 0) return null;
      const [message] = await broker.store.read(HALF_TOPIC, 0, halfOffset, 1);
      return message === undefined ? null : halfOf(message);
    },

    async commitHalf(broker, half) {
      await parts.appendReal(broker, realMessageOf(half, broker.env.clock.now()));
      await parts.appendOp(broker, opRecordOf(half, "commit", broker.env.clock.now()));
    },

    async rollbackHalf(broker, half) {
      await parts.appendOp(broker, opRecordOf(half, "rollback", broker.env.clock.now()));
    },
  };
}
