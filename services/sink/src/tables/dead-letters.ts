import type { ClickHouseClient, DeadLetter, PiiKind, Tokenizer } from '@pipeline/shared';
import { dateTimeSeconds, epochMs, insertRows, type TableSpec } from './table.js';

/**
 * dead_letters (migration 0004): one row per dead letter; the original bytes stay on the topic. The
 * original key is stored as a token: a user token for a topic keyed by user id (the recommendation
 * topics, `keyKind`), else a customer token (the fraud topics are keyed by customer id; a key of
 * another topic is tokenized alike, never stored in clear).
 */
export interface DeadLetterRow {
  topic: string;
  partition: number;
  offset: number;
  service: string;
  error_type: string;
  error: string;
  original_key: Uint8Array;
  original_value_length: number | null;
  event_time: number | null;
  dead_lettered_at: number;
  dead_lettered_at_ms: number;
}

export const DEAD_LETTER_COLUMNS = [
  'topic',
  'partition',
  'offset',
  'service',
  'error_type',
  'error',
  'original_key',
  'original_value_length',
  'event_time',
  'dead_lettered_at',
  'dead_lettered_at_ms',
] as const satisfies readonly (keyof DeadLetterRow)[];

export const deadLettersTable: TableSpec<DeadLetterRow> = { name: 'dead_letters', columns: DEAD_LETTER_COLUMNS };

/**
 * `eventTime` is the original transaction's event time (ms) when known. An event time outside
 * DateTime only loses the date (NULL): the dead letter itself is still worth counting.
 */
export function deadLetterRow(
  value: DeadLetter,
  eventTime: number | null,
  tokens: Tokenizer,
  keyKind: PiiKind = 'customer',
): DeadLetterRow {
  let event_time: number | null = null;
  if (eventTime !== null) {
    try {
      event_time = dateTimeSeconds(eventTime, 'event_time');
    } catch {
      event_time = null;
    }
  }
  return {
    topic: value.topic,
    partition: value.partition,
    offset: value.offset,
    service: value.service,
    error_type: value.error_type,
    error: withoutIds(value.error),
    original_key: tokenizedKey(value.original_key, tokens, keyKind),
    original_value_length: value.original_size ?? (value.original_value === null ? null : value.original_value.length),
    event_time,
    dead_lettered_at: dateTimeSeconds(value.dead_lettered_at, 'dead_lettered_at'),
    dead_lettered_at_ms: epochMs(value.dead_lettered_at, 'dead_lettered_at'),
  };
}

/**
 * The refusal without the identifier it quotes: the contract's message for a malformed customer,
 * terminal or user id (topology's transactionProblem, labelProblem, interactionProblem, ...) shows
 * the value, which is still an id.
 */
export function withoutIds(error: string): string {
  return error.replace(
    /(invalid (?:customer_id|terminal_id|user_id)) "(?:[^"\\]|\\.)*"(?: \(\d+ characters\))?/g,
    '$1 (withheld)',
  );
}

function tokenizedKey(key: Uint8Array | null, tokens: Tokenizer, kind: PiiKind): Uint8Array {
  if (!key || key.length === 0) return new Uint8Array();
  return Buffer.from(tokens.token(kind, Buffer.from(key).toString('utf8')), 'utf8');
}

/** The kind of id a topic's messages are keyed by, from its declaration's `key`. */
export function keyKindOf(declaredKey: string | undefined): PiiKind {
  return declaredKey === 'user_id' ? 'user' : 'customer';
}

export function insertDeadLetters(client: ClickHouseClient, rows: readonly DeadLetterRow[]): Promise<void> {
  return insertRows(client, deadLettersTable, rows);
}
