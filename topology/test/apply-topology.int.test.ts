import { createRegistryClient, ensureTopics } from '@pipeline/shared';
import { servers, testKafka } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';
import { applyTopology } from '../src/apply.js';
import { allTopics, valueSubject } from '../src/index.js';

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
});
