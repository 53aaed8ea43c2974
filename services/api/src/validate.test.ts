import { TRANSACTION_FIELDS } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { transactionType, validateTransaction } from './validate.js';

export const VALID = {
  event_id: 'e-1',
  event_time: Date.UTC(2026, 0, 1, 12),
  customer_id: 'C1',
  terminal_id: 'T1',
  amount_minor: 1234,
  currency: 'EUR',
  channel: 'ECOM',
  country: 'PT',
  device_hash: 'd1',
  ip_hash: null,
};

const invalid = (patch: Record<string, unknown>) => validateTransaction({ ...VALID, ...patch });

describe('validateTransaction', () => {
  it('accepts a transaction and fills the optional fields with their schema default', () => {
    const { device_hash: _d, ip_hash: _i, ...required } = VALID;
    const result = validateTransaction(required);
    expect(result).toEqual({ ok: true, transaction: { ...required, device_hash: null, ip_hash: null } });
    expect(transactionType.isValid((result as { transaction: unknown }).transaction)).toBe(true);
  });

  it('names every required field when it is missing', () => {
    const required = transactionType.fields.filter((f) => f.defaultValue() === undefined).map((f) => f.name);
    expect(required.length).toBeGreaterThan(5);
    for (const name of required) {
      const body: Record<string, unknown> = { ...VALID };
      delete body[name];
      expect(validateTransaction(body), name).toMatchObject({ ok: false, field: name });
    }
  });

  it('refuses wrong Avro types, naming the field and what it accepts', () => {
    expect(invalid({ amount_minor: 1.5 })).toMatchObject({ ok: false, field: 'amount_minor', error: /an integer/ });
    expect(invalid({ amount_minor: '12' })).toMatchObject({ ok: false, field: 'amount_minor' });
    expect(invalid({ event_time: 'yesterday' })).toMatchObject({ ok: false, field: 'event_time' });
    expect(invalid({ channel: 'CASH' })).toMatchObject({ ok: false, field: 'channel', error: /POS, ECOM, ATM, MOTO/ });
    expect(invalid({ device_hash: 5 })).toMatchObject({ ok: false, field: 'device_hash', error: /null or a string/ });
    expect(invalid({ customer_id: null })).toMatchObject({ ok: false, field: 'customer_id' });
  });

  it("refuses what the pipeline's contract refuses (transactionProblem), naming the field", () => {
    expect(invalid({ event_id: ' ' })).toMatchObject({ ok: false, field: 'event_id' });
    expect(invalid({ customer_id: 'a{b}' })).toMatchObject({ ok: false, field: 'customer_id' });
    expect(invalid({ amount_minor: -1 })).toMatchObject({ ok: false, field: 'amount_minor' });
    expect(invalid({ currency: 'eur' })).toMatchObject({ ok: false, field: 'currency' });
    expect(invalid({ country: 'PRT' })).toMatchObject({ ok: false, field: 'country' });
    expect(invalid({ ip_hash: 'has space' })).toMatchObject({ ok: false, field: 'ip_hash' });
    expect(invalid({ event_time: 0 })).toMatchObject({ ok: false, field: 'event_time' });
  });

  it('refuses undeclared fields and bodies that are not objects', () => {
    expect(invalid({ amount: 5 })).toMatchObject({ ok: false, field: 'amount' });
    for (const body of [null, [], 'x', 3]) expect(validateTransaction(body)).toMatchObject({ field: '(body)' });
  });

  it('covers every Transaction field of the contract', () => {
    expect(transactionType.fields.map((f) => f.name)).toEqual([...TRANSACTION_FIELDS]);
  });
});
