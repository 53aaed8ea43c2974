import { randomUUID } from 'node:crypto';
import { NO_WATERMARK, type Watermark } from '@pipeline/feature-sets';
import { type Engine, processLabels, processTransactions } from '@pipeline/features';
import { type ClickHouseClient, globEscape, type RedisClient } from '@pipeline/shared';
import type { Label, Transaction } from '@pipeline/topology';
import { csvRows } from './csv-rows.js';
import { parquetRows } from './parquet-rows.js';
import { queryRows } from './query-rows.js';
import { type Header, type RowSource, whereOf } from './row-source.js';
import {
  LABEL_FIELDS,
  TRANSACTION_FIELDS,
  type TransactionColumns,
  type TransactionRecord,
  type TransactionRow,
  transactionColumns,
  transactionRecord,
} from './transaction-rows.js';
import type { BatchInput, InputRecord } from './types.js';

/** Raw transactions read from a file or a query, in its order. */
export interface TransactionSource {
  readonly source: string;
  records(): AsyncIterable<TransactionRecord>;
  fraction(): number | undefined;
}

/** Raw transactions from a table in any format: its header checked (a Parquet schema before the run), its rows read as transactions. */
export function transactionSource(table: RowSource): TransactionSource {
  const columnsOf = (header: Header) => transactionColumns(header.names, table.source, header.where);
  if (table.header) columnsOf(table.header);
  return {
    source: table.source,
    fraction: () => table.fraction(),
    async *records() {
      let columns: TransactionColumns | undefined;
      const select = (header: Header) => {
        columns = columnsOf(header);
        // Only the columns used are read (from a Parquet file).
        return [...TRANSACTION_FIELDS, ...(columns.withLabels ? LABEL_FIELDS : [])]
          .map((f) => f.name)
          .filter((n) => columns?.index.has(n));
      };
      for await (const row of table.rows(select)) {
        const { names, index } = columns as TransactionColumns;
        const where = whereOf(table, row);
        if (row.cells.length !== names.length) {
          const id = row.cells[index.get('event_id') ?? -1];
          const eventId = typeof id === 'string' && id.trim() !== '' ? id.trim() : null;
          yield {
            reject: { where, eventId, reason: `${row.cells.length} fields where the header has ${names.length}` },
          };
        } else yield transactionRecord(row.cells, where, columns as TransactionColumns);
      }
    },
  };
}

/** A CSV of transactions with a header (transaction-rows.ts), read as a stream. */
export async function csvTransactions(path: string): Promise<TransactionSource> {
  return transactionSource(await csvRows(path));
}

/** A Parquet file of transactions (the CSV's columns), one row group at a time. */
export async function parquetTransactions(path: string): Promise<TransactionSource> {
  return transactionSource(await parquetRows(path));
}

/** The rows of a ClickHouse SELECT returning the CSV's columns (a NULL read as an empty cell), in the result's order. */
export function queryTransactions(client: ClickHouseClient, query: string): TransactionSource {
  return transactionSource(queryRows(client, query));
}

/** Labels waiting for their label time, earliest first (a binary heap). */
class LabelQueue {
  private heap: { label: Label; where: string }[] = [];
  get size() {
    return this.heap.length;
  }
  push(item: { label: Label; where: string }) {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as typeof item).label.label_time <= item.label.label_time) break;
      h[i] = h[parent] as typeof item;
      i = parent;
    }
    h[i] = item;
  }
  /** Removes and returns, in label-time order, every label with label_time ≤ t. */
  popUntil(t: number): { label: Label; where: string }[] {
    const out: { label: Label; where: string }[] = [];
    while (this.heap.length > 0 && (this.heap[0] as { label: Label }).label.label_time <= t) {
      out.push(this.heap[0] as { label: Label; where: string });
      const last = this.heap.pop() as { label: Label; where: string };
      if (this.heap.length === 0) break;
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        const time = (k: number) => (this.heap[k] as { label: Label }).label.label_time;
        if (l < this.heap.length && time(l) < time(m)) m = l;
        if (r < this.heap.length && time(r) < time(m)) m = r;
        if (m === i) break;
        [this.heap[i], this.heap[m]] = [this.heap[m] as typeof last, this.heap[i] as typeof last];
        i = m;
      }
    }
    return out;
  }
}

export interface FeatureRunOptions {
  redis: RedisClient;
  /** The feature service's engine, on a prefix of this run's own (`batchPrefix`). */
  engine: Engine;
  /** Transactions per engine call (one Redis round trip each, as one consumer batch in the stream). */
  batchRows: number;
  now?: () => number;
}

export interface TransactionsInput extends BatchInput {
  /** Labels applied so far. */
  labels(): number;
}

/**
 * The vectors of raw transactions, computed by the feature service's own engine (processLabels,
 * processTransactions: the functions its consumers call) on Redis state of the run's own, and
 * handed to the batch runner as rows. The rows go through the engine in the input's order, as one
 * partition's stream would: an event more than the allowed lateness behind the latest one before it
 * is refused as the stream refuses it (a file, or a query's result, should be sorted by event_time).
 * Before each batch, every label with a label time up to the batch's latest event time is applied,
 * in label-time order, as the stream's label gate does. Rows the engine refuses become rejects with
 * its reason.
 */
export function transactionsInput(source: TransactionSource, options: FeatureRunOptions): TransactionsInput {
  const { redis, engine, now = Date.now } = options;
  let labelsApplied = 0;
  return {
    source: source.source,
    fraction: () => source.fraction(),
    labels: () => labelsApplied,
    async *records() {
      let watermark: Watermark = NO_WATERMARK;
      let labelWatermark: Watermark = NO_WATERMARK;
      const pending = new LabelQueue();
      let batch: TransactionRow[] = [];

      // Calls run one after the other (state and watermarks in order); each starts as soon as the one
      // before it is done, so Redis works on one batch while the next is read and the last is scored.
      const apply = async (rows: TransactionRow[]): Promise<InputRecord[]> => {
        let upTo = Number.NEGATIVE_INFINITY;
        for (const row of rows) {
          if (row.label) pending.push({ label: row.label, where: row.where });
          if (row.tx.event_time > upTo) upTo = row.tx.event_time;
        }
        const out: InputRecord[] = [];
        const due = pending.popUntil(upTo);
        if (due.length > 0) {
          const labelled = await processLabels(
            redis,
            engine,
            due.map((d) => d.label),
            labelWatermark,
            now(),
          );
          labelWatermark = labelled.watermark;
          labelled.outcomes.forEach((o, i) => {
            if (o.ok) labelsApplied++;
            else {
              const d = due[i] as { label: Label; where: string };
              out.push({
                reject: { where: d.where, eventId: d.label.transaction_id, reason: `label: ${o.error.message}` },
              });
            }
          });
        }
        const txs: Transaction[] = rows.map((r) => r.tx);
        const result = await processTransactions(redis, engine, txs, watermark, now());
        watermark = result.watermark;
        result.outcomes.forEach((o, i) => {
          const row = rows[i] as TransactionRow;
          out.push(
            o.ok
              ? { row: { eventId: row.tx.event_id, values: o.value.features.values } }
              : { reject: { where: row.where, eventId: row.tx.event_id, reason: o.error.message } },
          );
        });
        return out;
      };

      let previous: Promise<InputRecord[]> | undefined;
      const chain = (rows: TransactionRow[]) => {
        const next = (previous ?? Promise.resolve([])).then(() => apply(rows));
        // Awaited in order below; until then a failure must not count as unhandled.
        next.catch(() => undefined);
        return next;
      };
      for await (const record of source.records()) {
        if ('reject' in record) {
          yield record;
          continue;
        }
        batch.push(record.row);
        if (batch.length >= options.batchRows) {
          const next = chain(batch);
          batch = [];
          if (previous) yield* await previous;
          previous = next;
        }
      }
      if (batch.length > 0) {
        const next = chain(batch);
        if (previous) yield* await previous;
        previous = next;
      }
      if (previous) yield* await previous;
      // Labels after the last transaction change no vector of this input.
    },
  };
}

/** A Redis key prefix no other run or deployment uses. */
export function batchPrefix(): string {
  return `batch:${randomUUID()}:`;
}

/** Deletes every key under `prefix` (the run's feature state), on every node of a cluster; returns how many. */
export async function removePrefix(redis: RedisClient, prefix: string): Promise<number> {
  if (!prefix.startsWith('batch:')) throw new Error(`refusing to delete keys under '${prefix}': not a batch prefix`);
  const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
  let removed = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', 1000);
      cursor = next;
      // One key per call: keys of different entities sit in different cluster slots.
      const counts = await Promise.all(keys.map((key) => redis.unlink(key)));
      for (const n of counts) removed += n;
    } while (cursor !== '0');
  }
  return removed;
}
