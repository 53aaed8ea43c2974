import type { Label, Transaction } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { BadInputError, LateEventError } from './errors.js';
import { checkLabel, checkTransaction } from './validate.js';

const NOW = Date.UTC(2026, 5, 1);
const rules = { maxAmountMinor: 1_000_000, maxFutureMs: 3_600_000, allowedLatenessMs: 300_000 };
const tx = (over: Partial<Transaction> = {}): Transaction => ({
  event_id: 'e1',
  event_time: NOW - 1000,
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: 500,
  currency: 'EUR',
  channel: 'POS',
  country: 'FR',
  device_hash: null,
  ip_hash: null,
  ...over,
});

describe('checkTransaction', () => {
  it('accepts a good transaction', () => {
    expect(checkTransaction(tx(), Number.NEGATIVE_INFINITY, NOW, rules)).toBeUndefined();
    expect(checkTransaction(tx({ amount_minor: 0 }), NOW, NOW, rules)).toBeUndefined();
    expect(checkTransaction(tx({ device_hash: 'a'.repeat(128), ip_hash: 'f0:9e' }), NOW, NOW, rules)).toBeUndefined();
  });

  it.each([
    [{ event_id: '' }, /missing event_id/],
    [{ customer_id: ' ' }, /missing customer_id/],
    [{ terminal_id: 'a|b' }, /invalid terminal_id/],
    [{ customer_id: 'x'.repeat(129) }, /invalid customer_id/],
    [{ amount_minor: -1 }, /negative amount_minor/],
    [{ amount_minor: 1.5 }, /not an integer/],
    [{ amount_minor: 1_000_001 }, /absurd amount_minor/],
    [{ event_time: NOW + 3_600_001 }, /in the future/],
    [{ event_time: 0 }, /invalid event_time/],
    [{ currency: 'eur' }, /invalid currency "eur": an ISO 4217 code/],
    [{ currency: '' }, /invalid currency/],
    [{ country: 'PRT' }, /invalid country "PRT": an ISO 3166-1 alpha-2 code/],
    [{ device_hash: '' }, /invalid device_hash/],
    [{ device_hash: 'x'.repeat(129) }, /invalid device_hash "x{40}…" \(129 characters\)/],
    [{ ip_hash: 'zero\u200bwidth' }, /invalid ip_hash/],
  ] as [Partial<Transaction>, RegExp][])('refuses %o', (over, reason) => {
    const error = checkTransaction(tx(over), Number.NEGATIVE_INFINITY, NOW, rules);
    expect(error).toBeInstanceOf(BadInputError);
    expect(error?.message).toMatch(reason);
  });

  it('measures the future from the later of wall clock and watermark', () => {
    const ahead = NOW + 10 * 3_600_000;
    expect(checkTransaction(tx({ event_time: ahead + 1000 }), ahead, NOW, rules)).toBeUndefined();
  });

  it('refuses events beyond the allowed lateness behind the watermark, accepts those within', () => {
    const wm = NOW - 1000;
    expect(checkTransaction(tx({ event_time: wm - 300_000 }), wm, NOW, rules)).toBeUndefined();
    const late = checkTransaction(tx({ event_time: wm - 300_001 }), wm, NOW, rules);
    expect(late).toBeInstanceOf(LateEventError);
    expect((late as LateEventError).lateByMs).toBe(1);
  });
});

describe('checkLabel', () => {
  const label: Label = {
    transaction_id: 'e1',
    customer_id: 'C1',
    terminal_id: 'T1',
    is_fraud: true,
    label_time: NOW,
    transaction_time: NOW - 86_400_000,
  };
  it('accepts a good label and refuses a missing id or a future time', () => {
    expect(checkLabel(label, Number.NEGATIVE_INFINITY, NOW, rules)).toBeUndefined();
    expect(checkLabel({ ...label, terminal_id: '' }, Number.NEGATIVE_INFINITY, NOW, rules)?.message).toMatch(
      /missing terminal_id/,
    );
    expect(checkLabel({ ...label, label_time: NOW + 7_200_000 }, Number.NEGATIVE_INFINITY, NOW, rules)).toBeInstanceOf(
      BadInputError,
    );
  });

  it('refuses a label without its transaction time, or with one after the label time', () => {
    const missing = checkLabel({ ...label, transaction_time: null }, Number.NEGATIVE_INFINITY, NOW, rules);
    expect(missing).toBeInstanceOf(BadInputError);
    expect(missing?.message).toMatch(/missing transaction_time/);
    const after = checkLabel({ ...label, transaction_time: NOW + 1 }, Number.NEGATIVE_INFINITY, NOW, rules);
    expect(after?.message).toMatch(/transaction_time \d+ is after label_time \d+/);
    expect(checkLabel({ ...label, transaction_time: 5 }, Number.NEGATIVE_INFINITY, NOW, rules)?.message).toMatch(
      /invalid transaction_time 5/,
    );
  });
});
