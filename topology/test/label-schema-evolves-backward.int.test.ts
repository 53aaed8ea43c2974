import { createRegistryClient, registerSchema, SchemaIncompatibleError } from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';
import { schemaFor } from '../src/index.js';

type Record = { fields: { name: string; type: unknown; default?: unknown }[] };

describe('the label schema', () => {
  it('with transaction_time is a BACKWARD evolution of the one without; a required field would not be', async () => {
    const registry = createRegistryClient(servers().SCHEMA_REGISTRY_URL);
    const current = JSON.parse(schemaFor('fraud/label').schema) as Record;
    const before = { ...current, fields: current.fields.filter((f) => f.name !== 'transaction_time') };
    const required = {
      ...current,
      fields: current.fields.map((f) =>
        f.name === 'transaction_time' ? { name: f.name, type: { type: 'long', logicalType: 'timestamp-millis' } } : f,
      ),
    };

    const subject = `${uniqueName('labels')}-value`;
    await registerSchema(registry, subject, JSON.stringify(before));
    await expect(registerSchema(registry, subject, JSON.stringify(required))).rejects.toBeInstanceOf(
      SchemaIncompatibleError,
    );
    expect(await registerSchema(registry, subject, JSON.stringify(current))).toBeGreaterThan(0);
  });
});
