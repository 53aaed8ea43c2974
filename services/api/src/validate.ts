import { schemaFor, TRANSACTION_FIELDS, type Transaction, transactionProblem } from '@pipeline/topology';
import type avro from 'avsc';

/** Why a request body is not a transaction: the field at fault (`(body)` for the whole) and the reason. */
export interface Invalid {
  field: string;
  error: string;
}

export type Validated = { ok: true; transaction: Transaction } | ({ ok: false } & Invalid);

/** The transaction's Avro record: the same type the topic's encoder writes, so what passes here encodes. */
export const transactionType = schemaFor('fraud/transaction').type as avro.types.RecordType;

/** What a field's Avro type accepts, in words, from the schema. */
export function expected(type: avro.Type): string {
  const branches = unionBranches(type);
  if (branches) return branches.map(expected).join(' or ');
  switch (type.typeName) {
    case 'null':
      return 'null';
    case 'string':
      return 'a string';
    case 'long':
    case 'int':
      return 'an integer';
    case 'logical:timestamp-millis':
      return 'an integer (epoch milliseconds)';
    case 'enum':
      return `one of ${(type as avro.types.EnumType).symbols.join(', ')}`;
    default:
      return `a ${type.typeName}`;
  }
}

/** The branches of a union type (either kind avsc has), or null for any other type. */
export function unionBranches(type: avro.Type): avro.Type[] | null {
  if (!type.typeName.startsWith('union')) return null;
  return (type as avro.types.UnwrappedUnionType).types as avro.Type[];
}

/**
 * A JSON request body as a Transaction, checked first against the Avro schema (types, required
 * fields, enum symbols, no undeclared field; optional fields take their schema default), then by
 * the contract every service applies (`transactionProblem`). Pure; the first problem found is
 * reported, naming its field.
 */
export function validateTransaction(body: unknown): Validated {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, field: '(body)', error: 'the body must be a JSON object: a Transaction' };
  }
  const input = body as Record<string, unknown>;
  const declared = new Set(transactionType.fields.map((f) => f.name));
  const unknown = Object.keys(input).find((k) => !declared.has(k));
  if (unknown !== undefined) return { ok: false, field: unknown, error: `${unknown} is not a Transaction field` };

  const value: Record<string, unknown> = {};
  for (const field of transactionType.fields) {
    const given = input[field.name];
    if (given !== undefined) value[field.name] = given;
    else if (field.defaultValue() !== undefined) value[field.name] = field.defaultValue();
    else return { ok: false, field: field.name, error: `missing ${field.name}: ${expected(field.type)}` };
  }
  for (const field of transactionType.fields) {
    if (!field.type.isValid(value[field.name])) {
      return {
        ok: false,
        field: field.name,
        error: `invalid ${field.name} ${JSON.stringify(value[field.name])}: ${expected(field.type)}`,
      };
    }
  }
  const transaction = value as unknown as Transaction;
  const problem = transactionProblem(transaction);
  if (problem) return { ok: false, field: fieldOf(problem), error: problem };
  return { ok: true, transaction };
}

/** The field a contract problem is about: the first Transaction field its message names. */
function fieldOf(problem: string): string {
  const words = new Set(problem.split(/[\s:]+/));
  return TRANSACTION_FIELDS.find((f) => words.has(f)) ?? '(body)';
}
