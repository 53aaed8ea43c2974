/**
 * Feature values as text (CSV fields, ClickHouse TabSeparated array items) to numbers. Stricter than
 * Number(), which reads '' as 0 and '0x10' as 16: a value is a decimal number, `inf`/`-inf`, or
 * missing (empty, `nan`, `NULL`), which becomes NaN as in the stream (the models handle missing values).
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MISSING = new Set(['', 'nan', 'NaN', '-nan', 'NULL', '\\N']);
const INFINITE: Record<string, number> = {
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  Infinity: Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** The value, or undefined when the text is not a number. */
export function parseFeatureValue(text: string): number | undefined {
  const t = text.trim();
  if (MISSING.has(t)) return Number.NaN;
  if (DECIMAL.test(t)) return Number(t);
  return INFINITE[t];
}
