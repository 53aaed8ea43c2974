import { describe, expect, it } from 'vitest';
import type { Label, Transaction } from './contracts.js';
import { labelProblem, transactionProblem } from './validate.js';

const T = Date.UTC(2026, 0, 1);
const tx = (over: Partial<Transaction> = {}): Transaction => ({
  event_id: 'e1',
  event_time: T,
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
const label = (over: Partial<Label> = {}): Label => ({
  transaction_id: 'e1',
  customer_id: 'C1',
  terminal_id: 'T1',
  is_fraud: true,
  label_time: T,
  transaction_time: T - 1,
  ...over,
});

describe('the contract every service checks', () => {
  it('accepts good transactions and labels, ids of any script included', () => {
    expect(transactionProblem(tx())).toBeUndefined();
    expect(
      transactionProblem(tx({ customer_id: 'Ürsula-東京-42', device_hash: 'ab'.repeat(64), amount_minor: 0 })),
    ).toBeUndefined();
    expect(labelProblem(label())).toBeUndefined();
    // a label known at the very millisecond of its transaction
    expect(labelProblem(label({ transaction_time: T }))).toBeUndefined();
  });

  it.each([
    [{ event_id: '' }, /missing event_id/],
    [{ customer_id: 'C\u00001' }, /invalid customer_id "C\\u00001"/],
    [{ customer_id: 'C\u200b1' }, /invalid customer_id/],
    [{ terminal_id: 'T\u202e1' }, /invalid terminal_id/],
    [{ customer_id: 'C\ufffd' }, /invalid customer_id/],
    [{ terminal_id: 'a|b' }, /invalid terminal_id/],
    [{ customer_id: 'x'.repeat(129) }, /invalid customer_id "x{40}…" \(129 characters\)/],
    [{ amount_minor: 1.5 }, /not an integer/],
    [{ amount_minor: -1 }, /negative amount_minor/],
    [{ currency: '' }, /invalid currency ""/],
    [{ country: 'pt' }, /invalid country/],
    [{ ip_hash: '' }, /invalid ip_hash/],
    [{ event_time: 0 }, /invalid event_time 0: epoch milliseconds from 2000 to 2100/],
    [{ event_time: Date.UTC(2100, 0, 1) }, /invalid event_time/],
  ] as [Partial<Transaction>, RegExp][])('refuses the transaction %o', (over, reason) => {
    expect(transactionProblem(tx(over))).toMatch(reason);
  });

  it.each([
    [{ transaction_id: ' ' }, /missing transaction_id/],
    [{ terminal_id: 'T{1}' }, /invalid terminal_id/],
    [{ label_time: 0 }, /invalid label_time 0/],
    [{ label_time: Number.NaN }, /invalid label_time/],
    [{ transaction_time: null }, /missing transaction_time/],
    [{ transaction_time: 0 }, /invalid transaction_time 0/],
    [{ transaction_time: 1.5e12 + 0.5 }, /invalid transaction_time/],
    [{ transaction_time: T + 1 }, /transaction_time \d+ is after label_time \d+/],
  ] as [Partial<Label>, RegExp][])('refuses the label %o', (over, reason) => {
    expect(labelProblem(label(over))).toMatch(reason);
  });
});
