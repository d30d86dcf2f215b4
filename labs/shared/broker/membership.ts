/**
 * Consumer-group membership: who is alive in a group, by heartbeat.
 *
 * Consumers send a heartbeat every so often; a consumer not heard from for `sessionMs` of the
 * broker's clock is dropped. Every consumer then computes the same assignment of queues from the
 * same sorted member list (RocketMQ's AllocateMessageQueueAveragely; the broker only answers "who
 * is in the group", GET_CONSUMER_LIST_BY_GROUP). Views can disagree for a while, during which two
 * consumers may both want a queue: the queue lock decides, which is why orderly consumption needs it.
 */
export class Membership {
  private readonly lastSeenMs = new Map<string, Map<string, number>>();

  constructor(readonly sessionMs: number) {}

  heartbeat(group: string, consumerId: string, nowMs: number): void {
    let members = this.lastSeenMs.get(group);
    if (members === undefined) {
      members = new Map();
      this.lastSeenMs.set(group, members);
    }
    members.set(consumerId, nowMs);
  }

  /** Live members, sorted, so that every consumer computes the same assignment. */
  members(group: string, nowMs: number): string[] {
    const members = this.lastSeenMs.get(group);
    if (members === undefined) return [];
    const live: string[] = [];
    for (const [id, seen] of members) {
      if (nowMs - seen <= this.sessionMs) live.push(id);
      else members.delete(id);
    }
    return live.sort();
  }
}
