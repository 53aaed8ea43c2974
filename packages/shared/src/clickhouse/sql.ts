/**
 * The one place values are spliced into ClickHouse SQL. ClickHouse 18.16 has no query parameters
 * over HTTP, so every value goes through `literal` (or the `sql` tag, which calls it); identifiers
 * go through `identifier`. Nothing else builds SQL from data.
 */

export type SqlValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | Date
  | Uint8Array
  | readonly SqlValue[]
  | SqlFragment;

/** Trusted SQL text, spliced as is. Only for text the code itself wrote. */
export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function raw(text: string): SqlFragment {
  return new SqlFragment(text);
}

const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
  "'": "\\'",
  '\\': '\\\\',
};

const hexByte = (byte: number) => `\\x${byte.toString(16).padStart(2, '0')}`;

/**
 * A quoted string literal. Quotes, backslashes and control characters are escaped, so a statement
 * never breaks across lines or at a NUL; other characters pass through and travel as UTF-8. Bytes
 * (ClickHouse strings are bytes) are written as \xHH outside printable ASCII, so any bytes round-trip.
 */
export function quoteString(value: string | Uint8Array): string {
  if (typeof value === 'string') {
    return `'${value.replace(/[\u0000-\u001f\u007f'\\]/g, (c) => ESCAPES[c] ?? hexByte(c.charCodeAt(0)))}'`;
  }
  let out = "'";
  for (const byte of value) {
    const c = String.fromCharCode(byte);
    out += ESCAPES[c] ?? (byte < 0x20 || byte >= 0x7f ? hexByte(byte) : c);
  }
  return `${out}'`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Renders one value as a ClickHouse literal. Throws on values that have no safe literal. */
export function literal(value: SqlValue): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof SqlFragment) return value.text;
  if (typeof value === 'string' || value instanceof Uint8Array) return quoteString(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (value === Number.POSITIVE_INFINITY) return 'inf';
    if (value === Number.NEGATIVE_INFINITY) return '-inf';
    return String(value);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('invalid Date has no SQL literal');
    const d = value;
    return `'${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}'`;
  }
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  throw new TypeError(`no SQL literal for ${typeof value}`);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A table, column or database name. Only plain names are allowed, so no quoting is ever needed. */
export function identifier(name: string): SqlFragment {
  if (!IDENTIFIER.test(name)) throw new TypeError(`'${name}' is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)`);
  return new SqlFragment(name);
}

/** Tagged template: sql`SELECT * FROM ${identifier(t)} WHERE id = ${id}` with every value escaped. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): string {
  let text = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) text += literal(values[i]) + (strings[i + 1] ?? '');
  return text;
}
