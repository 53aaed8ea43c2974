import type { Label, Transaction } from '@pipeline/topology';
import { BadInputError, LateEventError } from './errors.js';

export interface InputRules {
  /** Amounts above this (minor units) are absurd. */
  maxAmountMinor: number;
  /** Event times more than this past max(wall clock, partition watermark) are refused. */
  maxFutureMs: number;
  allowedLatenessMs: number;
}

// Ids end up in Redis keys and script arguments: braces would break the hash tag, '|' and ',' the encodings.
const ID = /^[^\s{}|,]{1,128}$/;
const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Z]{2}$/;
// Hashes of a device or an address: printable ASCII, bounded (a huge one would make an output over
// the broker's message limit).
const HASH = /^[\x21-\x7e]{1,128}$/;

const shown = (value: string) => (value.length > 40 ? `${value.slice(0, 40)}… (${value.length} characters)` : value);

function checkFormat(field: string, value: string | null, format: RegExp, what: string): BadInputError | undefined {
  if (value === null || format.test(value)) return undefined;
  return new BadInputError(`invalid ${field} '${shown(value)}': ${what}`);
}

function checkId(field: string, value: string | undefined): BadInputError | undefined {
  if (value === undefined || value === null || value.trim() === '') return new BadInputError(`missing ${field}`);
  if (!ID.test(value)) {
    return new BadInputError(
      `invalid ${field} '${value.slice(0, 40)}': 1-128 characters, no whitespace, braces, '|' or ','`,
    );
  }
  return undefined;
}

function checkTime(field: string, t: number, watermark: number, now: number, rules: InputRules): Error | undefined {
  if (!Number.isSafeInteger(t) || t <= 0) return new BadInputError(`invalid ${field} ${t}`);
  const reference = Math.max(now, watermark);
  if (t > reference + rules.maxFutureMs) {
    return new BadInputError(
      `${field} ${new Date(t).toISOString()} is more than ${rules.maxFutureMs} ms in the future (reference ${new Date(reference).toISOString()})`,
    );
  }
  if (t < watermark - rules.allowedLatenessMs)
    return new LateEventError(watermark - rules.allowedLatenessMs - t, rules.allowedLatenessMs);
  return undefined;
}

/** Why a transaction is refused, or undefined. `watermark` is the partition's latest accepted event time. */
export function checkTransaction(
  tx: Transaction,
  watermark: number,
  now: number,
  rules: InputRules,
): Error | undefined {
  const idError =
    checkId('event_id', tx.event_id) ??
    checkId('customer_id', tx.customer_id) ??
    checkId('terminal_id', tx.terminal_id);
  if (idError) return idError;
  const amount = tx.amount_minor;
  if (!Number.isSafeInteger(amount)) return new BadInputError(`amount_minor ${amount} is not an integer`);
  if (amount < 0) return new BadInputError(`negative amount_minor ${amount}`);
  if (amount > rules.maxAmountMinor) {
    return new BadInputError(`absurd amount_minor ${amount} (above ${rules.maxAmountMinor})`);
  }
  const formatError =
    checkFormat('currency', tx.currency, CURRENCY, 'an ISO 4217 code, three capital letters') ??
    checkFormat('country', tx.country, COUNTRY, 'an ISO 3166-1 alpha-2 code, two capital letters') ??
    checkFormat('device_hash', tx.device_hash, HASH, '1-128 printable ASCII characters, no spaces') ??
    checkFormat('ip_hash', tx.ip_hash, HASH, '1-128 printable ASCII characters, no spaces');
  return formatError ?? checkTime('event_time', tx.event_time, watermark, now, rules);
}

export function checkLabel(label: Label, watermark: number, now: number, rules: InputRules): Error | undefined {
  const idError =
    checkId('transaction_id', label.transaction_id) ??
    checkId('customer_id', label.customer_id) ??
    checkId('terminal_id', label.terminal_id);
  return idError ?? checkTime('label_time', label.label_time, watermark, now, rules);
}
