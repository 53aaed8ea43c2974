import { errorMessage, type Logger } from '@pipeline/shared';
import { RowRejectedError, SinkClosedError } from './errors.js';
import { type BackoffOptions, backoffDelay, isRowError } from './retry.js';

export interface Rejection<Ref> {
  ref: Ref;
  error: unknown;
}

export interface BatchWriterOptions<Row> {
  /** For logs. */
  table: string;
  /** Inserts the rows; resolves once ClickHouse acknowledged them. */
  insert(rows: Row[]): Promise<void>;
  /** Most rows per insert. */
  batchSize: number;
  /** Longest a row waits before its insert starts. */
  flushIntervalMs: number;
  backoff: BackoffOptions;
  logger: Logger;
  /** Called after every acknowledged insert (benchmarks, metrics). */
  onInsert?(rows: number, ms: number): void;
}

interface Ticket<Ref> {
  remaining: number;
  rejected: Rejection<Ref>[];
  cancelled: boolean;
  resolve(rejected: Rejection<Ref>[]): void;
  reject(error: unknown): void;
  promise: Promise<Rejection<Ref>[]>;
}

interface Entry<Row, Ref> {
  row: Row;
  ref: Ref;
  ticket: Ticket<Ref>;
  at: number;
}

/** How often a caller waiting on a flush sends a heartbeat: well inside kafkajs' session timeout. */
const HEARTBEAT_MS = 1_000;

/**
 * One table's insert buffer, shared by every batch the consumer hands over. A caller's rows join the
 * buffer and the caller waits until all of them are acknowledged (or refused). The buffer is
 * flushed when it holds `batchSize` rows or its oldest row waited `flushIntervalMs`, one insert at a
 * time per table, so several Kafka batches share one insert.
 *
 * When ClickHouse is down or overloaded the insert is retried with capped exponential back-off,
 * forever, while the waiting callers keep the consumer's group membership alive with heartbeats;
 * the consumer fetches nothing new meanwhile, because its batches have not returned. When
 * ClickHouse refuses the rows themselves, the chunk is split in halves until the refused rows are
 * isolated: those are handed back as rejections (for the dead-letter topic), the rest land.
 */
export class BatchWriter<Row, Ref> {
  private buffer: Entry<Row, Ref>[] = [];
  private pumping = false;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private closed = false;
  private closeDeadline = Number.POSITIVE_INFINITY;
  private failing = false;

  constructor(private readonly options: BatchWriterOptions<Row>) {}

  /** True while ClickHouse is not accepting inserts (the writer is backing off). */
  get retrying(): boolean {
    return this.failing;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /**
   * Buffers the rows and resolves once every one of them is in ClickHouse or refused (the refused
   * ones are returned). `heartbeat` is called every second meanwhile; if it throws (the group is
   * rebalancing) so does this, and the rows not yet sent are withdrawn.
   */
  async write(items: readonly { row: Row; ref: Ref }[], heartbeat?: () => Promise<void>): Promise<Rejection<Ref>[]> {
    if (this.closing) throw new SinkClosedError(`${this.options.table}: the sink is stopping`);
    if (items.length === 0) return [];
    const ticket = newTicket<Ref>(items.length);
    const at = Date.now();
    for (const item of items) this.buffer.push({ ...item, ticket, at });
    void this.pump();
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), HEARTBEAT_MS);
      });
      const done = await Promise.race([ticket.promise.then((rejected) => ({ rejected })), tick]);
      clearTimeout(timer);
      if (done) return done.rejected;
      try {
        await heartbeat?.();
      } catch (error) {
        ticket.cancelled = true;
        throw error;
      }
    }
  }

  /** Flushes what is buffered now, retrying until `graceMs` has passed; then fails what is left. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    this.closeDeadline = Date.now() + graceMs;
    void this.pump();
    while ((this.pumping || this.buffer.length > 0) && Date.now() < this.closeDeadline) await sleep(20);
    this.closed = true;
    clearTimeout(this.timer);
    this.failAll(new SinkClosedError(`${this.options.table}: stopped before ClickHouse took the rows`));
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      for (;;) {
        this.buffer = this.buffer.filter((e) => !e.ticket.cancelled);
        const oldest = this.buffer[0];
        if (!oldest) break;
        const wait = oldest.at + this.options.flushIntervalMs - Date.now();
        if (!this.closing && this.buffer.length < this.options.batchSize && wait > 0) {
          this.arm(wait);
          break;
        }
        const chunk = this.buffer.splice(0, this.options.batchSize);
        let rejected: Rejection<Entry<Row, Ref>>[];
        try {
          rejected = await this.insertChunk(chunk, 0);
        } catch (error) {
          for (const entry of chunk) entry.ticket.reject(error);
          throw error;
        }
        const refused = new Map(rejected.map((r) => [r.ref, r.error]));
        for (const entry of chunk) {
          const { ticket } = entry;
          if (refused.has(entry)) ticket.rejected.push({ ref: entry.ref, error: refused.get(entry) });
          if (--ticket.remaining === 0) ticket.resolve(ticket.rejected);
        }
      }
    } catch (error) {
      this.failAll(error);
    } finally {
      this.pumping = false;
    }
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, ms);
    this.timer.unref?.();
  }

  private failAll(error: unknown): void {
    for (const entry of this.buffer) entry.ticket.reject(error);
    this.buffer = [];
  }

  /** Inserts the chunk; returns the entries ClickHouse refused. Throws only SinkClosedError. */
  private async insertChunk(chunk: Entry<Row, Ref>[], depth: number): Promise<Rejection<Entry<Row, Ref>>[]> {
    const { logger, table } = this.options;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        await this.options.insert(chunk.map((e) => e.row));
        this.options.onInsert?.(chunk.length, performance.now() - started);
        if (this.failing) {
          this.failing = false;
          logger.info({ table }, 'ClickHouse takes inserts again; consuming resumes');
        }
        return [];
      } catch (error) {
        if (isRowError(error)) {
          const [first] = chunk;
          if (chunk.length === 1 && first) {
            return [{ ref: first, error: new RowRejectedError(`ClickHouse refused the row: ${reason(error)}`) }];
          }
          if (depth === 0)
            logger.warn({ table, rows: chunk.length, reason: reason(error) }, 'insert refused; finding the rows');
          const half = Math.ceil(chunk.length / 2);
          const left = await this.insertChunk(chunk.slice(0, half), depth + 1);
          const right = await this.insertChunk(chunk.slice(half), depth + 1);
          return [...left, ...right];
        }
        if (this.closing && Date.now() >= this.closeDeadline) {
          throw new SinkClosedError(`${table}: stopped while ClickHouse was unavailable (${errorMessage(error)})`);
        }
        if (!this.failing) {
          this.failing = true;
          logger.warn({ table, err: errorMessage(error) }, 'ClickHouse unavailable; consumption paused, retrying');
        }
        const delay = backoffDelay(attempt, this.options.backoff);
        await sleep(Math.max(0, Math.min(delay, this.closeDeadline - Date.now())));
      }
    }
  }
}

function newTicket<Ref>(count: number): Ticket<Ref> {
  let resolve!: (rejected: Rejection<Ref>[]) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<Rejection<Ref>[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A withdrawn caller no longer listens; its failure must not surface as an unhandled rejection.
  promise.catch(() => {});
  return { remaining: count, rejected: [], cancelled: false, resolve, reject, promise };
}

/** The server's own words: 18.16 wraps them in "Code: N, e.displayText() = DB::Exception: ... e.what()". */
export function reason(error: unknown): string {
  const message = errorMessage(error);
  const match = /DB::Exception: ([\s\S]*?)(?:, e\.what\(\)[\s\S]*)?$/.exec(message);
  return (match?.[1] ?? message).trim();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
