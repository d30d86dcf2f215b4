/**
 * The log checker: reads the history of a log workload (and the final reads it made through the
 * public API), never the log's files, and names what broke.
 *
 * Which acknowledged messages must survive depends on the flush mode:
 *   sync     every one: the acknowledgement came after an fsync.
 *   manual   every one a completed flush() or close() started after; and every one, when no power
 *            loss and no failed fsync followed it (a process crash keeps the page cache).
 *   async    as manual, and also every one the log had time to flush: acknowledged at least
 *            2 x intervalMs + 40 ms before the next power loss or failed fsync, with the process
 *            running all that time.
 * Messages retention may delete (part F) may be gone, and nothing else may.
 *
 * Anomalies, each with a minimal example:
 *   garbage read               read(1200) -> bytes no client sent
 *   corruption passed through  read(1200) -> m7, but its body differs from what was sent
 *   wrong answer               read(1200) -> m7, which was acknowledged at 900
 *   lost write                 append(m7) ok @900 (sync); <power loss>; read(900) -> out of range
 *   hole                       append(m7) ok @900, append(m8) ok @1100; <power loss>; m8 is there, m7 is not
 *   reorder                    readQueue(orders/1 @3) -> m9, acknowledged as orders/1 #4
 *   duplicate                  one message at two offsets of its queue
 *   not live                   after every fault healed, an append or a read of it failed
 */
import { type Anomaly, anomaly } from "#harness/checkers/anomaly.ts";
import { describeOp, type History, type Op } from "#harness/workloads/history.ts";
import type { AppendEntry, Got, LogRun, LogScenario, QueueReadEntry, ReadEntry } from "./log-workload.ts";
import { describeRecord, tagsHashProblem } from "./messages.ts";

export interface CheckInput {
  scenario: LogScenario;
  run: LogRun;
  healedAtMs: number;
  history: History;
}

export function checkLog(input: CheckInput): Anomaly[] {
  const checker = new LogChecker(input);
  for (const check of [
    () => checker.content(),
    () => checker.liveness(),
    () => checker.lostWrites(),
    () => checker.holes(),
    () => checker.queues(),
    () => checker.retention(),
  ]) {
    const found = check();
    if (found.length > 0) return found;
  }
  return [];
}

type Window = { fromMs: number; toMs: number };

class LogChecker {
  private readonly run: LogRun;
  private readonly scenario: LogScenario;
  private readonly history: History;
  private readonly segmentBytes: number;
  /** Power losses and failed fsyncs: what may lose data not yet durable. */
  private readonly losses: Window[] = [];
  /** Moments after which the log may have recovered from disk (restarts, disk errors). */
  private readonly breaks: Window[] = [];
  private readonly survivedCache = new Map<AppendEntry, boolean>();

  constructor(input: CheckInput) {
    this.run = input.run;
    this.scenario = input.scenario;
    this.history = input.history;
    this.segmentBytes = input.scenario.segmentBytes;
    // With a write buffer (part H), a process keeps unwritten bytes in its own memory: a crash, or
    // an instance failed by a full disk, loses them as a power cut loses the page cache.
    const buffered = (input.scenario.writeBufferBytes ?? 0) > 0;
    for (const death of this.run.life.deaths) {
      if (death.power || buffered) this.losses.push({ fromMs: death.atMs, toMs: death.atMs });
      this.breaks.push({ fromMs: death.atMs, toMs: death.atMs });
    }
    for (const event of this.scenario.plan.events) {
      const atMs = this.run.planStartMs + event.atMs;
      if (event.kind === "fsyncFails" || (buffered && event.kind === "diskFull"))
        this.losses.push({ fromMs: atMs, toMs: atMs + event.forMs });
      if (event.kind === "fsyncFails" || event.kind === "diskFull")
        this.breaks.push({ fromMs: atMs, toMs: atMs + event.forMs });
    }
  }

  // -------------------------------------------------------------------------------------------
  // What reads returned: only messages that were sent, intact, where they belong.

  content(): Anomaly[] {
    for (const read of this.run.reads) {
      const found = this.checkReturned(read.got, read.op, `read(${read.offset})`);
      if (found.length > 0) return found;
      if (read.got.kind !== "message") continue;
      const record = read.got.record;
      if (record.physicalOffset !== read.offset) {
        return [
          anomaly(
            "wrong answer",
            `read(${read.offset}) returned ${describeRecord(record)}, a record that says it lives at ${record.physicalOffset}.`,
            [read.op],
          ),
        ];
      }
    }
    for (const read of this.run.queueReads) {
      const what = `readQueue(${read.topic}/${read.queueId} @${read.n})`;
      const found = this.checkReturned(read.got, read.op, what);
      if (found.length > 0) return found;
      if (read.got.kind !== "message") continue;
      const record = read.got.record;
      if (record.topic !== read.topic || record.queueId !== read.queueId || record.queueOffset !== read.n) {
        return [
          anomaly(
            "wrong answer",
            `${what} returned ${describeRecord(record)}, which belongs to another queue or offset.`,
            [read.op],
          ),
        ];
      }
      const tags = tagsHashProblem(record);
      if (tags !== null)
        return [anomaly("wrong answer", `${what} returned ${describeRecord(record)} with ${tags}.`, [read.op])];
      const append = this.appendOf(record);
      if (append?.result !== undefined && append.result.queueOffset !== read.n) {
        return [
          anomaly(
            "reorder",
            `${what} returned ${append.sent.id}, which was acknowledged as ${read.topic}/${read.queueId} #${append.result.queueOffset}: a message never moves in its queue.`,
            [append.op, read.op],
          ),
        ];
      }
    }
    return [];
  }

  /** A returned message must be one that was sent, byte for byte, and never moved. */
  private checkReturned(got: Got, op: Op, what: string): Anomaly[] {
    if (got.kind !== "message") return [];
    const record = got.record;
    const identity = this.run.book.identify(record);
    if (identity.kind === "garbage") {
      return [
        anomaly("garbage read", `${what} returned a message no client ever sent (${describeRecord(record)}).`, [op]),
      ];
    }
    const append = this.run.appends.find((a) => a.sent === identity.sent);
    if (identity.kind === "corrupt") {
      return [
        anomaly(
          "corruption passed through",
          `${what} returned ${identity.sent.id} with ${identity.what}.`,
          append ? [append.op, op] : [op],
        ),
      ];
    }
    if (append !== undefined && append.op.status === "fail") {
      return [
        anomaly(
          "garbage read",
          `${what} returned ${append.sent.id}, whose append never reached the log (${append.op.note}).`,
          [append.op, op],
        ),
      ];
    }
    if (append?.result !== undefined && append.result.physicalOffset !== record.physicalOffset) {
      return [
        anomaly(
          "wrong answer",
          `${what} returned ${append.sent.id} at offset ${record.physicalOffset}, but it was acknowledged at ${append.result.physicalOffset}: a record never moves.`,
          [append.op, op],
        ),
      ];
    }
    return [];
  }

  private appendOf(record: { body: Uint8Array }): AppendEntry | undefined {
    const identity = this.run.book.identify(record as never);
    if (identity.kind === "garbage") return undefined;
    return this.run.appends.find((a) => a.sent === identity.sent);
  }

  // -------------------------------------------------------------------------------------------
  // After the faults: the log works.

  liveness(): Anomaly[] {
    const last = this.run.appends.find((a) => a.final);
    if (last === undefined) return [];
    if (last.result === undefined) {
      return [
        anomaly(
          "not live",
          `after every fault had healed, ${describeOp(last.op)}: the log should accept appends again.`,
          [last.op],
        ),
      ];
    }
    const read = this.run.reads.find((r) => r.target === last);
    const queueRead = this.run.queueReads.at(-1);
    for (const [entry, what] of [
      [read, `read(${last.result.physicalOffset})`],
      [queueRead, `readQueue(${last.sent.message.topic}/${last.sent.message.queueId} @${last.result.queueOffset})`],
    ] as const) {
      if (entry === undefined) continue;
      if (entry.got.kind === "message" && this.appendOf(entry.got.record) === last) continue;
      return [
        anomaly(
          "not live",
          `after every fault had healed, ${last.sent.id} was appended, but ${what} ${describeGot(entry.got)}.`,
          [last.op, entry.op],
        ),
      ];
    }
    return [];
  }

  // -------------------------------------------------------------------------------------------
  // Durability.

  /** When the rules say an acknowledged message became durable (Infinity if they never do). */
  private durableAtMs(append: AppendEntry): number {
    const ackedAt = append.op.completedAtMs as number;
    const flush = this.scenario.flush;
    if (flush.mode === "sync") return ackedAt;
    let at = Number.POSITIVE_INFINITY;
    for (const op of [...this.run.flushes, ...this.run.closes.map((c) => c.op)]) {
      // Called after the acknowledgement, by call order: a flush and an append can share an instant.
      if (op.status === "ok" && op.index >= (append.op.completedIndex as number))
        at = Math.min(at, op.completedAtMs as number);
    }
    if (flush.mode === "async") at = Math.min(at, this.flushedByTimerAtMs(ackedAt, 2 * flush.intervalMs + 40));
    return at;
  }

  /** The first moment the log had run `boundMs` without a restart after `fromMs`. */
  private flushedByTimerAtMs(fromMs: number, boundMs: number): number {
    const { boots, deaths } = this.run.life;
    for (const boot of boots) {
      const end = deaths.find((d) => d.atMs >= boot.atMs)?.atMs ?? Number.POSITIVE_INFINITY;
      if (end <= fromMs) continue;
      const at = Math.max(fromMs, boot.atMs) + boundMs;
      if (at <= end) return at;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** A loss (power cut, failed fsync) between the acknowledgement and durability, if any. */
  private lossBeforeDurable(append: AppendEntry): Window | null {
    const ackedAt = append.op.completedAtMs as number;
    const durableAt = this.durableAtMs(append);
    return this.losses.find((w) => w.toMs >= ackedAt && w.fromMs < durableAt) ?? null;
  }

  private mustSurvive(append: AppendEntry): boolean {
    return append.result !== undefined && this.lossBeforeDurable(append) === null;
  }

  private survived(append: AppendEntry): boolean {
    let known = this.survivedCache.get(append);
    if (known === undefined) {
      const read = this.finalReadOf(append);
      known =
        read !== undefined &&
        read.got.kind === "message" &&
        this.run.book.identify(read.got.record).kind === "ok" &&
        this.appendOf(read.got.record) === append;
      this.survivedCache.set(append, known);
    }
    return known;
  }

  private finalReadOf(append: AppendEntry): ReadEntry | undefined {
    return this.run.reads.find((r) => r.final && r.target === append);
  }

  lostWrites(): Anomaly[] {
    for (const append of this.run.acked) {
      if (append.final || !this.mustSurvive(append)) continue;
      for (const read of this.run.reads.filter((r) => r.target === append)) {
        if (read.got.kind === "message" && this.appendOf(read.got.record) === append) continue;
        if (read.got.kind === "error" && !read.final) continue; // a failed read during faults is honest
        if (read.got.kind === "outOfRange" && this.mayBeExpired(append, read.op.invokedAtMs)) continue;
        return [this.lostWrite(append, read, `read(${read.offset}) ${describeGot(read.got)}`)];
      }
    }
    return [];
  }

  private lostWrite(append: AppendEntry, read: ReadEntry | QueueReadEntry, what: string): Anomaly {
    const faults = this.history
      .faultsBetween(append.op.completedAtMs as number, read.op.invokedAtMs)
      .map((e) => e.description);
    const since =
      faults.length === 0 ? "" : ` In between: ${faults.slice(0, 4).join("; ")}${faults.length > 4 ? "; ..." : ""}.`;
    const retention = read.got.kind === "outOfRange" ? this.notExpirable(append, read.op.invokedAtMs) : "";
    return anomaly(
      "lost write",
      `${describeOp(append.op)} was acknowledged${this.whyDurable(append)}, but ${read.final ? "after every fault had healed " : "later "}${what}.${retention}${since}`,
      [append.op, read.op],
    );
  }

  /** Why retention could not have deleted `append` by `atMs`, in words ("" without retention). */
  private notExpirable(append: AppendEntry, atMs: number): string {
    const retentionMs = this.scenario.retentionMs;
    if (retentionMs === undefined || append.result === undefined) return "";
    const rule = ` Retention may delete a segment only when it is not the active one and all its messages are older than ${retentionMs} ms.`;
    const ackedAt = append.op.completedAtMs as number;
    const runs = this.run.expires.filter(
      ({ op }) => op.status !== "fail" && op.invokedAtMs <= atMs && (op.completedAtMs ?? atMs) >= ackedAt,
    );
    if (runs.length === 0) return ` No deleteExpiredSegments() had run since.${rule}`;
    const segment = this.segmentOf(append);
    const lo = segment * this.segmentBytes;
    const span = `[${lo}, ${lo + this.segmentBytes})`;
    for (const { op } of [...runs].reverse()) {
      const decidedBy = op.completedAtMs ?? atMs;
      const last = [...this.run.appends].reverse().find((a) => a.op.invokedAtMs < decidedBy);
      if (last?.result !== undefined && this.segmentOf(last) === segment) {
        return `${rule} Its segment ${span} was the active one when deleteExpiredSegments() ran at ${op.invokedAtMs.toFixed(3)}ms: ${last.sent.id} was the last message appended, there.`;
      }
      const fresh = this.run.acked.find(
        (a) => !a.final && this.segmentOf(a) === segment && a.op.invokedAtMs > decidedBy - retentionMs,
      );
      if (fresh !== undefined) {
        return `${rule} Its segment ${span} also held ${fresh.sent.id}, appended at ${fresh.op.invokedAtMs.toFixed(3)}ms, less than ${retentionMs} ms before deleteExpiredSegments() ran at ${op.invokedAtMs.toFixed(3)}ms.`;
      }
    }
    return rule;
  }

  private whyDurable(append: AppendEntry): string {
    const ackedAt = append.op.completedAtMs as number;
    const flush = this.scenario.flush;
    if (flush.mode === "sync") return " under synchronous flush (so it was durable)";
    if (this.losses.every((w) => w.toMs < ackedAt)) {
      return (this.scenario.writeBufferBytes ?? 0) > 0
        ? " and no power loss, crash, full disk or failed fsync came after it"
        : " and no power loss or failed fsync came after it (a process crash keeps the page cache)";
    }
    const durableAt = this.durableAtMs(append);
    const flushed = [...this.run.flushes, ...this.run.closes.map((c) => c.op)].find(
      (op) => op.status === "ok" && op.index >= (append.op.completedIndex as number) && op.completedAtMs === durableAt,
    );
    if (flushed !== undefined)
      return `, and a ${flushed.f}() called after it returned at ${durableAt.toFixed(3)}ms (so it was durable)`;
    const boundMs = flush.mode === "async" ? 2 * flush.intervalMs + 40 : 0;
    return `, and the log then ran ${boundMs} ms without a restart before any power loss or failed fsync, time enough for its flush every ${flush.mode === "async" ? flush.intervalMs : "?"} ms`;
  }

  /** Nothing may follow a hole: messages appended in one life of the log survive as a prefix. */
  holes(): Anomaly[] {
    const acked = this.run.acked.filter((a) => !a.final);
    for (const later of acked) {
      if (!this.survived(later)) continue;
      for (const earlier of acked) {
        // By call order, not time: calls that take no time (a write buffer) share an instant.
        if (earlier === later || (earlier.op.completedIndex as number) > later.op.index) continue;
        if (!this.sameLife(earlier.op.completedAtMs as number, later.op.invokedAtMs)) continue;
        const e = earlier.result as { physicalOffset: number };
        const l = later.result as { physicalOffset: number };
        if (l.physicalOffset < e.physicalOffset) {
          return [
            anomaly(
              "reorder",
              `${earlier.sent.id} was acknowledged at ${e.physicalOffset} before ${later.sent.id} was appended, yet ${later.sent.id} got the earlier offset ${l.physicalOffset}.`,
              [earlier.op, later.op],
            ),
          ];
        }
        if (this.survived(earlier)) continue;
        const read = this.finalReadOf(earlier);
        if (read?.got.kind === "outOfRange" && this.mayBeExpired(earlier, read.op.invokedAtMs)) continue;
        return [
          anomaly(
            "hole",
            `${earlier.sent.id} (@${e.physicalOffset}) and then ${later.sent.id} (@${l.physicalOffset}) were appended, with no restart between them. ` +
              `After the faults ${later.sent.id} is there but ${earlier.sent.id} is not (read(${e.physicalOffset}) ${read ? describeGot(read.got) : "was not made"}): ` +
              "the log kept a record that follows a lost one. Recovery must cut the log at the first invalid record and drop everything after it.",
            read ? [earlier.op, later.op, read.op] : [earlier.op, later.op],
          ),
        ];
      }
    }
    return [];
  }

  private sameLife(fromMs: number, toMs: number): boolean {
    return !this.breaks.some((w) => w.toMs >= fromMs && w.fromMs <= toMs);
  }

  // -------------------------------------------------------------------------------------------
  // Queues, read whole after the faults: dense, in order, nothing lost, nothing twice.

  queues(): Anomaly[] {
    const byQueue = new Map<string, QueueReadEntry[]>();
    for (const read of this.run.queueReads) {
      if (!read.final) continue;
      const key = `${read.topic}/${read.queueId}`;
      byQueue.set(key, [...(byQueue.get(key) ?? []), read]);
    }
    const lastAppend = this.run.appends.find((a) => a.final);
    for (const [key, reads] of byQueue) {
      const scan = reads
        // By call order, not time: with a write buffer the final append can take no time at all.
        .filter((r) => !(lastAppend?.result && r.op.index > lastAppend.op.index))
        .sort((a, b) => a.n - b.n);
      const found = this.checkQueueScan(key, scan);
      if (found.length > 0) return found;
    }
    return [];
  }

  private checkQueueScan(key: string, scan: QueueReadEntry[]): Anomaly[] {
    const retention = this.scenario.retentionMs !== undefined;
    let started = false;
    let ended: QueueReadEntry | null = null;
    let previous: QueueReadEntry | null = null;
    const seen = new Map<string, QueueReadEntry>();
    for (const read of scan) {
      const got = read.got;
      if (got.kind === "message") {
        if (ended !== null) {
          return [
            anomaly(
              "hole",
              `readQueue(${key} @${ended.n}) ${describeGot(ended.got)}, yet @${read.n} holds ${describeRecord(got.record)}: a queue has no gaps.`,
              [ended.op, read.op],
            ),
          ];
        }
        const append = this.appendOf(got.record);
        if (append !== undefined) {
          const twice = seen.get(append.sent.id);
          if (twice !== undefined) {
            return [
              anomaly(
                "duplicate",
                `${append.sent.id} appears twice in ${key}: at queue offsets ${twice.n} and ${read.n}.`,
                [append.op, twice.op, read.op],
              ),
            ];
          }
          seen.set(append.sent.id, read);
        }
        if (previous?.got.kind === "message" && previous.got.record.physicalOffset >= got.record.physicalOffset) {
          return [
            anomaly(
              "reorder",
              `${key} @${previous.n} is at offset ${previous.got.record.physicalOffset} and @${read.n} at ${got.record.physicalOffset}: a queue's messages follow the log's order.`,
              [previous.op, read.op],
            ),
          ];
        }
        started = true;
        previous = read;
        continue;
      }
      if (got.kind === "outOfRange" && retention && !started) continue; // below the queue's start
      if (ended === null) ended = read;
    }
    if (ended !== null && ended.got.kind !== "null") {
      return [
        anomaly(
          "wrong answer",
          `after every fault had healed, readQueue(${key} @${ended.n}) ${describeGot(ended.got)}: ` +
            "every offset of a queue must be readable, and past its last message the answer is null.",
          [ended.op],
        ),
      ];
    }
    // Every message that must be there, and every one the log still holds, is in its queue.
    for (const append of this.run.acked) {
      if (append.final || `${append.sent.message.topic}/${append.sent.message.queueId}` !== key) continue;
      if (!this.mustSurvive(append) && !this.survived(append)) continue;
      const qo = append.result?.queueOffset as number;
      const read = scan.find((r) => r.n === qo);
      if (read === undefined) continue;
      if (read.got.kind === "message" && this.appendOf(read.got.record) === append) continue;
      if (read.got.kind === "outOfRange" && this.mayBeExpired(append, read.op.invokedAtMs)) continue;
      const where = this.survived(append) ? ` (read(${append.result?.physicalOffset}) still finds it in the log)` : "";
      return [this.lostWrite(append, read, `readQueue(${key} @${qo}) ${describeGot(read.got)}${where}`)];
    }
    return [];
  }

  // -------------------------------------------------------------------------------------------
  // Retention (part F).

  /**
   * Whether retention may have deleted `append` by `atMs`: some retention run ended by then, when
   * its segment was no longer the active one and held no message younger than the retention time.
   */
  private mayBeExpired(append: AppendEntry, atMs: number): boolean {
    const retentionMs = this.scenario.retentionMs;
    if (retentionMs === undefined || append.result === undefined) return false;
    const segment = Math.floor(append.result.physicalOffset / this.segmentBytes);
    return this.run.expires.some(({ op }) => {
      if (op.status === "fail" || op.invokedAtMs > atMs) return false;
      const decidedBy = op.completedAtMs ?? atMs;
      const sameSegment = this.run.acked.filter((a) => !a.final && this.segmentOf(a) === segment);
      if (sameSegment.some((a) => a.op.invokedAtMs > decidedBy - retentionMs)) return false;
      const later = this.run.appends.some(
        (a) =>
          a.op.invokedAtMs < decidedBy &&
          (a.op.status === "info" || (a.result !== undefined && this.segmentOf(a) > segment)),
      );
      return later;
    });
  }

  private segmentOf(append: AppendEntry): number {
    return Math.floor((append.result?.physicalOffset ?? 0) / this.segmentBytes);
  }

  /** A retention run must delete what is surely expired: checked by the read made right after it. */
  retention(): Anomaly[] {
    const retentionMs = this.scenario.retentionMs;
    if (retentionMs === undefined) return [];
    for (const { op, probe } of this.run.expires) {
      if (op.status !== "ok" || probe === undefined || probe.got.kind !== "message") continue;
      if (this.run.life.deaths.some((d) => d.atMs >= op.invokedAtMs && d.atMs <= (probe.op.completedAtMs as number)))
        continue;
      if (
        this.run.appends.some(
          (a) => a.op.status !== "ok" && a.op.status !== "fail" && a.op.invokedAtMs < op.invokedAtMs,
        )
      )
        continue;
      const target = probe.target;
      const segment = this.segmentOf(target);
      const cutoff = op.invokedAtMs - retentionMs;
      const nearby = this.run.acked.filter(
        (a) => !a.final && (this.segmentOf(a) === segment || this.segmentOf(a) === segment + 1),
      );
      if (nearby.some((a) => (a.op.completedAtMs as number) >= cutoff)) continue;
      const beyond = this.run.acked.some(
        (a) => !a.final && this.segmentOf(a) >= segment + 2 && (a.op.completedAtMs as number) < op.invokedAtMs,
      );
      if (!beyond) continue;
      const lo = segment * this.segmentBytes;
      return [
        anomaly(
          "wrong answer",
          `deleteExpiredSegments() at ${op.invokedAtMs.toFixed(3)}ms (retention ${retentionMs} ms) kept the segment [${lo}, ${lo + this.segmentBytes}): ` +
            `every message in it and in the segment after it was older than ${retentionMs} ms, and neither was the active segment. read(${probe.offset}) still returned ${target.sent.id}.`,
          [target.op, op, probe.op],
        ),
      ];
    }
    return [];
  }
}

function describeGot(got: Got): string {
  switch (got.kind) {
    case "message":
      return `returned ${describeRecord(got.record)}`;
    case "null":
      return "returned null";
    case "outOfRange":
      return "said the offset was out of range";
    case "error":
      return `threw ${got.text}`;
  }
}
