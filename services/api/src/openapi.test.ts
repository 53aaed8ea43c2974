import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openapiFile } from './http.js';
import { openapiDocument } from './openapi.js';
import { validateTransaction } from './validate.js';

type Schema = { type: string | string[]; enum?: unknown[]; properties?: Record<string, Schema>; required?: string[] };

const served = JSON.parse(readFileSync(openapiFile, 'utf8'));
const transaction = served.components.schemas.Transaction as Schema;
const post = served.paths['/v1/decisions'].post;
const example = post.requestBody.content['application/json'].example as Record<string, unknown>;

/** A value of the wrong JSON type for a property's schema. */
function wrongType(schema: Schema): unknown {
  const types = [schema.type].flat();
  return types.includes('string') ? 12 : 'not-a-number';
}

describe('openapi.json', () => {
  it('is the document openapiDocument() derives (run npm run docs:api after a change)', () => {
    expect(served).toEqual(JSON.parse(JSON.stringify(openapiDocument())));
  });

  it("its example request passes the API's validation", () => {
    expect(validateTransaction(example)).toMatchObject({ ok: true });
  });

  it('every required property it lists is refused when missing, naming the field; the optional ones may be left out', () => {
    const props = Object.keys(transaction.properties ?? {});
    for (const name of props) {
      const body = { ...example };
      delete body[name];
      const result = validateTransaction(body);
      if (transaction.required?.includes(name)) expect(result, name).toMatchObject({ ok: false, field: name });
      else expect(result, name).toMatchObject({ ok: true });
    }
  });

  it('every property of the wrong JSON type is refused naming it, every enum value it lists accepted, others refused', () => {
    for (const [name, schema] of Object.entries(transaction.properties ?? {})) {
      expect(validateTransaction({ ...example, [name]: wrongType(schema) }), name).toMatchObject({
        ok: false,
        field: name,
      });
      for (const symbol of schema.enum ?? []) {
        expect(validateTransaction({ ...example, [name]: symbol }), `${name}=${symbol}`).toMatchObject({ ok: true });
      }
      if (schema.enum)
        expect(validateTransaction({ ...example, [name]: 'NOT_A_SYMBOL' })).toMatchObject({ field: name });
    }
  });

  it('no additional properties: an undeclared one is refused, as the description says', () => {
    expect(transaction).toMatchObject({ additionalProperties: false });
    expect(validateTransaction({ ...example, extra: 1 })).toMatchObject({ ok: false, field: 'extra' });
  });

  it('documents every status the service answers a POST with', () => {
    expect(Object.keys(post.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '405',
      '413',
      '415',
      '422',
      '503',
    ]);
  });
});
