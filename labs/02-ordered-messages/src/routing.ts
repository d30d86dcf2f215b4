/**
 * Lab 02, L2.A: routing by sharding key. This is your file.
 *
 * Order exists only inside a queue: a consumer reads one queue in offset order, and nothing orders
 * two queues against each other. So the messages of one key (one order, one account) stay in order
 * only if they all go to the same queue, every time.
 */
import { NotImplemented } from "#lab";

/**
 * The queue for a message with this sharding key.
 *
 * Contract: returns a whole number in [0, queueCount). The same (key, queueCount) gives the same
 * queue on every call, in every process, after every restart, in every producer. Realistic keys
 * ("order-100007", "order-100014", ...) spread over all the queues.
 *
 * Implementation hints:
 * - What may the answer depend on? Only the arguments. Not the message, not a counter, not chance.
 * - Hash the key. Java's String.hashCode (which RocketMQ uses) is easy to compute; mind the sign.
 *
 * @param shardingKey the key whose messages must stay in order, any string (even empty).
 * @param queueCount the topic's number of queues, >= 1.
 */
export function selectQueue(shardingKey: string, queueCount: number): number {
  // YOUR CODE HERE (L2.A)
  void shardingKey;
  void queueCount;
  throw new NotImplemented("L2.A");
}
