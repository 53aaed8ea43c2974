import { createRegistryClient, ensureTopics, registerSchema, SchemaIncompatibleError } from '@pipeline/shared';
import { servers, testKafka, uniqueName } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';
import { applyTopology } from '../src/apply.js';
import { allTopics, fraudTopics, schemaFor, valueSubject } from '../src/index.js';

describe('applying the topology', () => {
  it('creates every declared topic with its partitions and retention, registers every value schema, and is idempotent', async () => {
    const kafka = testKafka();
    const registry = createRegistryClient(servers().SCHEMA_REGISTRY_URL);
    await applyTopology({ kafka, registry });
    const second = await applyTopology({ kafka, registry });
    expect(second.created).toEqual([]);
    expect(second.existing.sort()).toEqual(allTopics.map((t) => t.name).sort());

    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: allTopics.map((t) => t.name) });
      for (const declared of allTopics) {
        expect(topics.find((t) => t.name === declared.name)?.partitions.length).toBe(declared.partitions);
      }
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: allTopics.map((t) => ({ type: 2, name: t.name, configNames: ['retention.ms'] })),
      });
      for (const declared of allTopics) {
        const entry = resources.find((r) => r.resourceName === declared.name)?.configEntries[0];
        expect(entry?.configValue).toBe(String(declared.retentionMs));
      }
      expect((await ensureTopics(admin, allTopics)).created).toEqual([]);
    } finally {
      await admin.disconnect();
    }

    for (const declared of allTopics) {
      const latest = await registry.getLatestSchemaMetadata(valueSubject(declared.name));
      expect(latest.id).toBe(second.schemaIds[declared.name]);
    }
  });

  it('keeps outside producers from registering a transaction schema the consumers cannot read', async () => {
    const kafka = testKafka();
    const registry = createRegistryClient(servers().SCHEMA_REGISTRY_URL);
    const transactions = { ...fraudTopics.transactions, name: uniqueName('compat_tx') };
    await applyTopology({ kafka, registry, topics: [transactions] });
    const subject = valueSubject(transactions.name);
    expect((await registry.getConfig(subject)).compatibilityLevel).toBe('FULL_TRANSITIVE');

    const current = JSON.parse(schemaFor('fraud/transaction').schema) as { fields: { name: string; type: unknown }[] };
    const withFields = (fields: { name: string; type: unknown; default?: unknown }[]) =>
      JSON.stringify({ ...current, fields });
    // BACKWARD alone accepts this (a reader of double reads old longs); today's consumers read long
    const amountAsDouble = withFields(
      current.fields.map((f) => (f.name === 'amount_minor' ? { ...f, type: 'double' } : f)),
    );
    await expect(registerSchema(registry, subject, amountAsDouble)).rejects.toBeInstanceOf(SchemaIncompatibleError);
    // nor this (new consumers read old data; old ones find no terminal_id)
    const dropsTerminal = withFields(current.fields.filter((f) => f.name !== 'terminal_id'));
    await expect(registerSchema(registry, subject, dropsTerminal)).rejects.toBeInstanceOf(SchemaIncompatibleError);
    // an optional field with a default: both old and new consumers read both
    const addsNote = withFields([...current.fields, { name: 'note', type: ['null', 'string'], default: null }]);
    expect(await registerSchema(registry, subject, addsNote)).toBeGreaterThan(0);
    expect((await registry.getLatestSchemaMetadata(subject)).version).toBe(2);
  });
});
