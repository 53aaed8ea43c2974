import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TRANSACTION_FIELDS } from '@pipeline/topology';
import type { SimEvent } from '../simulator/events.js';

/**
 * The training dataset: one row per transaction, joined with its label. Columns (see README.md):
 * the Transaction fields as published, then the ground truth.
 */
export const DATASET_COLUMNS = [...TRANSACTION_FIELDS, 'scenario', 'is_fraud', 'label_time'] as const;

const HEADER = `${DATASET_COLUMNS.join(',')}\n`;
const CHUNK_CHARS = 64 * 1024;

/** A transaction's row waiting for its label: the columns up to `scenario`, then `is_fraud,label_time`. */
interface PendingRow {
  head: string;
  tail: string | null;
}

/**
 * Writes `events` (a simulate() stream, or any stream of SimEvents in event-time order) to `path` as
 * CSV, one row per transaction in the order the transactions come, each completed with its label.
 *
 * A row is written once its own label and those of every earlier transaction have arrived, so the
 * rows waiting at any time are the transactions of about one label delay (~30 simulated days with
 * the default genuine delay), kept as pre-formatted strings. Transactions whose label never arrives
 * (the stream was cut short) are written at the end with empty `is_fraud` and `label_time`; labels of
 * transactions not in the stream are ignored. Written through a file stream with backpressure, in
 * chunks of about 64 KiB. Resolves with the number of rows (= transactions) once the file is closed.
 */
export async function writeDatasetCsv(
  events: Iterable<SimEvent> | AsyncIterable<SimEvent>,
  path: string,
): Promise<{ rows: number }> {
  let rows = 0;
  const pending = new Map<string, PendingRow>();
  let queue: PendingRow[] = [];
  let next = 0;
  let buffer = HEADER;

  const accept = (event: SimEvent): void => {
    if (event.kind === 'transaction') {
      const row: PendingRow = { head: transactionColumns(event), tail: null };
      pending.set(event.value.event_id, row);
      queue.push(row);
      return;
    }
    const label = event.value;
    const row = pending.get(label.transaction_id);
    if (row === undefined) return;
    pending.delete(label.transaction_id);
    row.tail = `${label.is_fraud ? 1 : 0},${label.label_time}`;
    for (let ready = queue[next]; ready?.tail != null; ready = queue[next]) {
      buffer += `${ready.head},${ready.tail}\n`;
      rows++;
      next++;
    }
    if (next >= 65_536 && next * 2 >= queue.length) {
      queue = queue.slice(next);
      next = 0;
    }
  };

  async function* chunks(): AsyncGenerator<string> {
    if (Symbol.iterator in events) {
      for (const event of events) {
        accept(event);
        if (buffer.length >= CHUNK_CHARS) {
          yield buffer;
          buffer = '';
        }
      }
    } else {
      for await (const event of events) {
        accept(event);
        if (buffer.length >= CHUNK_CHARS) {
          yield buffer;
          buffer = '';
        }
      }
    }
    for (let i = next; i < queue.length; i++) {
      const row = queue[i] as PendingRow;
      buffer += `${row.head},${row.tail ?? ','}\n`;
      rows++;
      if (buffer.length >= CHUNK_CHARS) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer.length > 0) yield buffer;
  }

  await pipeline(Readable.from(chunks()), createWriteStream(path));
  return { rows };
}

function transactionColumns(event: Extract<SimEvent, { kind: 'transaction' }>): string {
  const t = event.value;
  return [
    csvField(t.event_id),
    t.event_time,
    csvField(t.customer_id),
    csvField(t.terminal_id),
    t.amount_minor,
    csvField(t.currency),
    t.channel,
    csvField(t.country),
    t.device_hash === null ? '' : csvField(t.device_hash),
    t.ip_hash === null ? '' : csvField(t.ip_hash),
    event.scenario ?? '',
  ].join(',');
}

const NEEDS_QUOTES = /[",\r\n]/;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
