import { type Label, labelProblem, schemaFor, type Transaction } from '@pipeline/topology';
import { BatchError } from '../errors.js';
import type { Reject } from './types.js';

/**
 * Raw transactions as batch input: the columns are the transaction schema's fields (derived from
 * schemas/fraud/transaction.avsc, never listed by hand), plus, optionally, the label schema's own
 * fields (is_fraud, label_time): a row with them carries its transaction's label.
 */

type AvroType = string | { type: string; symbols?: string[]; logicalType?: string } | AvroType[];
interface AvroField {
  name: string;
  type: AvroType;
  default?: unknown;
}

/** How a column's cell becomes a field value. */
export interface FieldSpec {
  name: string;
  kind: 'string' | 'long' | 'boolean' | 'enum';
  nullable: boolean;
  /** The field has a default: the column may be absent. */
  optional: boolean;
  symbols?: string[];
  time: boolean;
}

function specOf(field: AvroField): FieldSpec {
  let type = field.type;
  let nullable = false;
  if (Array.isArray(type)) {
    nullable = type.includes('null');
    type = type.find((t) => t !== 'null') as AvroType;
  }
  const base = typeof type === 'string' ? type : (type as { type: string }).type;
  if (base !== 'string' && base !== 'long' && base !== 'boolean' && base !== 'enum')
    throw new Error(`field ${field.name}: Avro type ${base} has no batch column reader`);
  const object = typeof type === 'object' && !Array.isArray(type) ? type : undefined;
  return {
    name: field.name,
    kind: base,
    nullable,
    optional: 'default' in field,
    ...(object?.symbols ? { symbols: object.symbols } : {}),
    time: object?.logicalType === 'timestamp-millis',
  };
}

const fieldsOf = (ref: string) => (JSON.parse(schemaFor(ref).schema) as { fields: AvroField[] }).fields;

export const TRANSACTION_FIELDS: FieldSpec[] = fieldsOf('fraud/transaction').map(specOf);
const txNames = new Set(TRANSACTION_FIELDS.map((f) => f.name));
/** A label's fields a transaction row already has under another name. */
const LABEL_FROM_TX: Record<string, string> = { transaction_id: 'event_id', transaction_time: 'event_time' };
/** The label's own columns (is_fraud, label_time): every label field the transaction does not carry. */
export const LABEL_FIELDS: FieldSpec[] = fieldsOf('fraud/label')
  .filter((f) => !txNames.has(f.name) && !(f.name in LABEL_FROM_TX))
  .map(specOf);

/** Where each column sits in a header, and whether the rows carry labels. */
export interface TransactionColumns {
  names: string[];
  index: Map<string, number>;
  withLabels: boolean;
}

/**
 * Checks a header (a CSV's first line, a Parquet schema's names): every transaction field without a
 * default, once; the label columns all or none. A bad header stops the run (every row would fail).
 */
export function transactionColumns(header: readonly string[], source: string, where: string): TransactionColumns {
  const names = header.map((h) => h.trim());
  const index = new Map(names.map((n, i) => [n, i]));
  const required = TRANSACTION_FIELDS.filter((f) => !f.optional).map((f) => f.name);
  const missing = required.filter((n) => !index.has(n));
  const known = [...TRANSACTION_FIELDS, ...LABEL_FIELDS].map((f) => f.name);
  const duplicated = known.filter((n) => names.indexOf(n) !== names.lastIndexOf(n));
  const labels = LABEL_FIELDS.map((f) => f.name);
  const labelsGiven = labels.filter((n) => index.has(n));
  const problems = [
    missing.length > 0 ? `lacks ${missing.join(', ')}` : '',
    duplicated.length > 0 ? `repeats ${duplicated.join(', ')}` : '',
    labelsGiven.length > 0 && labelsGiven.length < labels.length
      ? `has ${labelsGiven.join(', ')} without ${labels.filter((n) => !index.has(n)).join(', ')} (label columns go together)`
      : '',
  ].filter((p) => p !== '');
  if (problems.length > 0)
    throw new BatchError(
      `${source}${where} ${problems.join('; ')}. A transactions file has the transaction schema's fields (${known
        .filter((n) => txNames.has(n))
        .join(', ')}) and optionally the label columns ${labels.join(', ')}`,
    );
  return { names, index, withLabels: labelsGiven.length === labels.length };
}

/**
 * A cell as the field's value, or why not. CSV and query cells are strings (a query's NULL is null,
 * empty as an empty CSV cell); Parquet's are typed.
 */
export function fieldValue(spec: FieldSpec, cell: unknown): { value: unknown } | { problem: string } {
  const empty = cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '');
  if (empty) return spec.nullable || spec.optional ? { value: null } : { problem: `column ${spec.name} is empty` };
  const bad = () => ({ problem: `column ${spec.name}: '${String(cell)}' is not ${describe(spec)}` });
  switch (spec.kind) {
    case 'string':
      return typeof cell === 'string' ? { value: cell } : bad();
    case 'enum':
      return typeof cell === 'string' && spec.symbols?.includes(cell.trim()) ? { value: cell.trim() } : bad();
    case 'boolean': {
      if (typeof cell === 'boolean') return { value: cell };
      const text = String(cell).trim().toLowerCase();
      if (text === 'true' || text === '1') return { value: true };
      if (text === 'false' || text === '0') return { value: false };
      return bad();
    }
    case 'long': {
      if (cell instanceof Date) return spec.time && !Number.isNaN(cell.getTime()) ? { value: cell.getTime() } : bad();
      if (typeof cell === 'bigint') return { value: Number(cell) };
      if (typeof cell === 'number') return Number.isSafeInteger(cell) ? { value: cell } : bad();
      const text = String(cell).trim();
      if (/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return { value: Number(text) };
      // A time may also be written as ISO 8601 with its zone (2026-01-01T00:00:00.000Z).
      if (spec.time && /^\d{4}-\d\d-\d\dT.*(Z|[+-]\d\d:?\d\d)$/.test(text)) {
        const ms = Date.parse(text);
        if (!Number.isNaN(ms)) return { value: ms };
      }
      return bad();
    }
  }
}

function describe(spec: FieldSpec): string {
  if (spec.kind === 'enum') return `one of ${spec.symbols?.join(', ')}`;
  if (spec.kind === 'boolean') return 'true or false';
  if (spec.kind === 'long') return spec.time ? 'epoch milliseconds or an ISO 8601 time with its zone' : 'an integer';
  return 'text';
}

/** One transaction read from the input, with its label when the row has one. */
export interface TransactionRow {
  where: string;
  tx: Transaction;
  label: Label | null;
}

export type TransactionRecord = { row: TransactionRow } | { reject: Reject };

/** A row's cells (by column index) to a transaction and its label, or a reject naming the column. */
export function transactionRecord(
  cells: readonly unknown[],
  where: string,
  columns: TransactionColumns,
): TransactionRecord {
  const at = (name: string) => {
    const i = columns.index.get(name);
    return i === undefined ? undefined : cells[i];
  };
  const rawId = at('event_id');
  const eventId = typeof rawId === 'string' && rawId.trim() !== '' ? rawId.trim() : null;
  const reject = (reason: string): TransactionRecord => ({ reject: { where, eventId, reason } });
  const tx: Record<string, unknown> = {};
  for (const spec of TRANSACTION_FIELDS) {
    const got = fieldValue(spec, at(spec.name));
    if ('problem' in got) return reject(got.problem);
    tx[spec.name] = got.value;
  }
  let label: Label | null = null;
  if (columns.withLabels) {
    const own: Record<string, unknown> = {};
    let blank = 0;
    for (const spec of LABEL_FIELDS) {
      const cell = at(spec.name);
      if (cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '')) blank++;
      const got = fieldValue({ ...spec, nullable: true }, cell);
      if ('problem' in got) return reject(got.problem);
      own[spec.name] = got.value;
    }
    // All label columns empty: the row has no label. Some: it is half a label.
    if (blank > 0 && blank < LABEL_FIELDS.length)
      return reject(`label columns ${LABEL_FIELDS.map((f) => f.name).join(', ')} are all set or all empty`);
    if (blank === 0) {
      const t = tx as unknown as Transaction;
      label = {
        ...own,
        transaction_id: t.event_id,
        transaction_time: t.event_time,
        customer_id: t.customer_id,
        terminal_id: t.terminal_id,
      } as Label;
      const problem = labelProblem(label);
      if (problem) return reject(`label: ${problem}`);
    }
  }
  return { row: { where, tx: tx as unknown as Transaction, label } };
}
