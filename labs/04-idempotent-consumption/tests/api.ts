/**
 * The shape of a lab 04 implementation, as the grader sees it: the exports of the learner's files.
 * Kept apart from the learner's files so that a broken learner file cannot break the grader's types;
 * the types the learner's functions take and return come from provided.ts, like everything shared.
 */
import type {
  Claim,
  Consumed,
  Delivery,
  HandlerContext,
  OffsetTracker,
  Transaction,
  TransformerContext,
  WindowContext,
} from "#labs/04-idempotent-consumption/provided.ts";

/** business-key.ts (L4.A). */
export interface BusinessKeyModule {
  businessKey(delivery: Delivery): string;
}

/** handler.ts (L4.B). */
export interface HandlerModule {
  handle(ctx: HandlerContext, delivery: Delivery): Promise<Consumed>;
}

/** inbox.ts (L4.C). */
export interface InboxModule {
  claim(tx: Transaction, key: string): Promise<Claim>;
}

/** redis-window.ts (L4.D). */
export interface RedisWindowModule {
  handleWithWindow(ctx: WindowContext, delivery: Delivery): Promise<Consumed>;
}

/** offset-tracker.ts (L4.E). */
export interface OffsetTrackerModule {
  openTracker(): OffsetTracker;
}

/** transformer.ts (L4.F). */
export interface TransformerModule {
  runTransformer(ctx: TransformerContext): Promise<void>;
}

/** Every learner file's exports together: what the grader loads. */
export type ConsumptionModule = BusinessKeyModule &
  HandlerModule &
  InboxModule &
  RedisWindowModule &
  OffsetTrackerModule &
  TransformerModule;
