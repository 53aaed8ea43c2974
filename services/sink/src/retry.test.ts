import { describe, expect, it } from 'vitest';
import { backoffDelay, isRowError, serverErrorCode } from './retry.js';

describe('ClickHouse error classification', () => {
  it('reads the code from current servers and from 18.16 messages', () => {
    expect(serverErrorCode(Object.assign(new Error('Too large value'), { code: '131' }))).toBe(131);
    expect(
      serverErrorCode(new Error('Code: 131, e.displayText() = DB::Exception: Too large value for FixedString(3)')),
    ).toBe(131);
    expect(serverErrorCode(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(serverErrorCode(new Error('Timeout error.'))).toBeUndefined();
  });

  it('blames the rows only for data errors, never for an outage or a missing table', () => {
    expect(isRowError(new Error('Code: 131, e.displayText() = DB::Exception: Too large value'))).toBe(true);
    expect(isRowError(Object.assign(new Error('Cannot parse input'), { code: '27' }))).toBe(true);
    expect(isRowError(new Error('Code: 60, e.displayText() = DB::Exception: Table x.y does not exist'))).toBe(false);
    expect(isRowError(Object.assign(new Error('Too many parts'), { code: '252' }))).toBe(false);
    expect(isRowError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(false);
  });
});

describe('backoffDelay', () => {
  const options = { initialMs: 100, maxMs: 5_000 };
  it('doubles from the initial delay and stays within [ceiling/2, ceiling]', () => {
    expect(backoffDelay(0, options, () => 0)).toBe(50);
    expect(backoffDelay(0, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(800);
  });
  it('is capped, even after very many attempts', () => {
    expect(backoffDelay(10, options, () => 1)).toBe(5_000);
    expect(backoffDelay(10_000, options, () => 0.5)).toBe(3_750);
  });
});
