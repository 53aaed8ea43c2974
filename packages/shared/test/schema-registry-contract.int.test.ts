import {
  Compatibility,
  createAvroSerde,
  createRegistryClient,
  frame,
  parseAvroSchema,
  RegistryUnavailableError,
  registerSchema,
  SchemaIncompatibleError,
  UnknownSchemaError,
} from '@pipeline/shared';
import { servers, uniqueName } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';

const v1 = {
  type: 'record',
  name: 'Payment',
  namespace: 'pipeline.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'long' },
  ],
};
const v2AddsOptionalField = {
  ...v1,
  fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }],
};
const v2AddsRequiredField = { ...v1, fields: [...v1.fields, { name: 'merchant', type: 'string' }] };

describe('the schema registry the pipeline runs against', () => {
  it('answers every call the pipeline makes: config, register, lookups, compatibility', async () => {
    const client = createRegistryClient(servers().SCHEMA_REGISTRY_URL);
    const subject = `${uniqueName('contract')}-value`;

    const id1 = await registerSchema(client, subject, JSON.stringify(v1), Compatibility.BACKWARD);
    expect((await client.getConfig(subject)).compatibilityLevel).toBe(Compatibility.BACKWARD);

    // Lookup by id, as a consumer resolving the wire-format id does.
    const byId = await client.getBySubjectAndId('', id1);
    expect(JSON.parse(byId.schema)).toMatchObject({ name: 'Payment' });

    // Which id and version a schema has under the subject.
    expect(await client.getId(subject, { schemaType: 'AVRO', schema: JSON.stringify(v1) })).toBe(id1);
    expect(await client.getVersion(subject, { schemaType: 'AVRO', schema: JSON.stringify(v1) })).toBe(1);

    expect(
      await client.testSubjectCompatibility(subject, {
        schemaType: 'AVRO',
        schema: JSON.stringify(v2AddsOptionalField),
      }),
    ).toBe(true);
    expect(
      await client.testSubjectCompatibility(subject, {
        schemaType: 'AVRO',
        schema: JSON.stringify(v2AddsRequiredField),
      }),
    ).toBe(false);

    const id2 = await registerSchema(client, subject, JSON.stringify(v2AddsOptionalField));
    expect(id2).not.toBe(id1);
    const latest = await client.getLatestSchemaMetadata(subject);
    expect(latest.id).toBe(id2);
    expect(latest.version).toBe(2);
  });

  it('refuses a change that breaks BACKWARD compatibility, with a clear error', async () => {
    const client = createRegistryClient(servers().SCHEMA_REGISTRY_URL);
    const subject = `${uniqueName('breaking')}-value`;
    await registerSchema(client, subject, JSON.stringify(v1), Compatibility.BACKWARD);
    const attempt = registerSchema(client, subject, JSON.stringify(v2AddsRequiredField));
    await expect(attempt).rejects.toBeInstanceOf(SchemaIncompatibleError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`refused the schema for ${subject}: it breaks the subject's compatibility rule`),
    );
    // The subject still has only the first version.
    expect((await client.getLatestSchemaMetadata(subject)).version).toBe(1);
  });

  it('decodes a message written with an older schema into the newer reader schema', async () => {
    const client = createRegistryClient(servers().SCHEMA_REGISTRY_URL);
    const subject = `${uniqueName('evolve')}-value`;
    const serde = createAvroSerde(client);
    const old = await serde.encoder(subject, parseAvroSchema(v1 as never));
    const bytes = old.encode({ id: 'p1', amount: 5 });
    const decoder = serde.decoder(parseAvroSchema(v2AddsOptionalField as never));
    await decoder.prepare([bytes]);
    expect(decoder.decode(bytes)).toEqual({ id: 'p1', amount: 5, note: null });
  });

  it('reports an unknown schema id as UnknownSchemaError', async () => {
    const decoder = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL)).decoder(
      parseAvroSchema(v1 as never),
    );
    const bytes = frame(2_000_000_000, Buffer.from([0x02, 0x61, 0x02]));
    await decoder.prepare([bytes]);
    expect(() => decoder.decode(bytes)).toThrow(UnknownSchemaError);
    expect(() => decoder.decode(bytes)).toThrow('schema id 2000000000 is not known to the schema registry');
  });

  it('reports a registry that is down as retriable RegistryUnavailableError', async () => {
    const client = createRegistryClient('http://127.0.0.1:1');
    const decoder = createAvroSerde(client).decoder(parseAvroSchema(v1 as never));
    const attempt = decoder.prepare([frame(1, Buffer.alloc(0))]);
    await expect(attempt).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(attempt).rejects.toMatchObject({ retriable: true });
    await expect(registerSchema(client, 'x-value', JSON.stringify(v1))).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
  });
});
