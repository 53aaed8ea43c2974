import { describe, expect, it } from 'vitest';
import { identifier, literal, quoteString, raw, sql } from './sql.js';

describe('quoteString', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(quoteString("it's")).toBe("'it\\'s'");
    expect(quoteString('a\\b')).toBe("'a\\\\b'");
    expect(quoteString('line1\nline2\r\tend')).toBe("'line1\\nline2\\r\\tend'");
    expect(quoteString('nul\0byte')).toBe("'nul\\0byte'");
    expect(quoteString('\u0001\u001f\u007f')).toBe("'\\x01\\x1f\\x7f'");
  });

  it('passes non-ASCII text through', () => {
    expect(quoteString('café 東京 🚀')).toBe("'café 東京 🚀'");
  });

  it('writes bytes outside printable ASCII as \\xHH', () => {
    expect(quoteString(Buffer.from([0x41, 0x00, 0xff, 0x27]))).toBe("'A\\0\\xff\\''");
  });

  it('never leaves an unescaped quote that could end the literal', () => {
    for (const hostile of ["'", "\\'", "\\\\'", "'; DROP TABLE t; --", '\\']) {
      const body = quoteString(hostile).slice(1, -1);
      expect(body).not.toMatch(/(^|[^\\])(\\\\)*'/);
    }
  });
});

describe('literal', () => {
  it('renders each kind of value', () => {
    expect(literal(null)).toBe('NULL');
    expect(literal(undefined)).toBe('NULL');
    expect(literal(true)).toBe('1');
    expect(literal(false)).toBe('0');
    expect(literal(42)).toBe('42');
    expect(literal(-1.5)).toBe('-1.5');
    expect(literal(Number.NaN)).toBe('nan');
    expect(literal(Number.NEGATIVE_INFINITY)).toBe('-inf');
    expect(literal(12345678901234567890n)).toBe('12345678901234567890');
    expect(literal(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe("'2026-01-02 03:04:05'");
    expect(literal(['a', 1, null])).toBe("['a', 1, NULL]");
    expect(literal(raw('now()'))).toBe('now()');
  });

  it('refuses an invalid Date', () => {
    expect(() => literal(new Date(Number.NaN))).toThrow(/invalid Date/);
  });
});

describe('identifier', () => {
  it('accepts plain names and refuses anything else', () => {
    expect(identifier('scores_v2').text).toBe('scores_v2');
    for (const bad of ['', '1abc', 'a-b', 'a b', 'a`b', 'db.table', "x'"]) {
      expect(() => identifier(bad)).toThrow(/not a plain SQL identifier/);
    }
  });
});

describe('sql tag', () => {
  it('escapes every interpolated value', () => {
    const name = "O'Brien\\";
    expect(sql`SELECT * FROM ${identifier('people')} WHERE name = ${name} AND age > ${30}`).toBe(
      "SELECT * FROM people WHERE name = 'O\\'Brien\\\\' AND age > 30",
    );
  });
});
