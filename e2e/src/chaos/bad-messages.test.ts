import { frame, HEADER_SIZE, readSchemaId } from '@pipeline/shared';
import { type Label, schemaFor, type Transaction, transactionProblem } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { BAD_KINDS, badMessages, kindOfKey } from './bad-messages.js';

const txType = schemaFor('fraud/transaction').type;
const labelType = schemaFor('fraud/label').type;
const encoder = <T>(schemaId: number, type: typeof txType) => ({
  subject: `s${schemaId}`,
  schemaId,
  encode: (value: T) => frame(schemaId, type.toBuffer(value)),
});
const sample: Transaction = {
  event_id: 'e-1',
  event_time: Date.UTC(2026, 0, 1),
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: 1234,
  currency: 'EUR',
  channel: 'POS',
  country: 'FR',
  device_hash: null,
  ip_hash: null,
};
const messages = badMessages({
  count: 500,
  seed: 3,
  samples: [sample],
  transaction: encoder<Transaction>(41, txType),
  label: encoder<Label>(42, labelType),
});

describe('bad messages', () => {
  it('come in every kind, in turn, each keyed so its dead letter can be told apart', () => {
    expect(messages).toHaveLength(500);
    for (const kind of BAD_KINDS) expect(messages.filter((m) => m.kind === kind)).toHaveLength(100);
    expect(messages.map((m) => kindOfKey(m.key))).toEqual(messages.map((m) => m.kind));
    expect(kindOfKey('C000123')).toBeUndefined();
  });

  it('are each unreadable or refused as a transaction, for the reason of their kind', () => {
    for (const m of messages) {
      const body = m.value.subarray(HEADER_SIZE);
      switch (m.kind) {
        case 'random-bytes':
          expect(m.value[0]).not.toBe(0);
          break;
        case 'truncated-frame':
          expect(readSchemaId(m.value)).toBe(41);
          expect(() => txType.fromBuffer(body)).toThrow();
          break;
        case 'unknown-schema-id':
          expect(readSchemaId(m.value)).toBe(2_000_000_000);
          break;
        case 'other-schema':
          expect(readSchemaId(m.value)).toBe(42);
          expect(labelType.fromBuffer(body)).toMatchObject({ transaction_id: 'e-1' });
          break;
        case 'absurd-values': {
          const tx = txType.fromBuffer(body) as Transaction;
          const refused =
            transactionProblem(tx) !== undefined ||
            tx.amount_minor > 100_000_000 ||
            tx.event_time > Date.UTC(2100, 0, 1);
          expect(refused, JSON.stringify(tx).slice(0, 200)).toBe(true);
          break;
        }
      }
    }
  });

  it('are the same for the same seed', () => {
    const again = badMessages({
      count: 500,
      seed: 3,
      samples: [sample],
      transaction: encoder<Transaction>(41, txType),
      label: encoder<Label>(42, labelType),
    });
    expect(again.map((m) => m.value.toString('hex'))).toEqual(messages.map((m) => m.value.toString('hex')));
  });
});
