import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { allTopics, loadSchemas, renderMarkdown, schemaFor, topic, topicGroups, topics } from './index.js';

describe('topic declarations', () => {
  it('every declared topic has a schema that parses, and names are unique', () => {
    const names = allTopics.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    // Groups sharing a key (`decisions`) keep both topics.
    expect(names).toEqual(expect.arrayContaining(['decisions', 'experiments.decisions']));
    for (const t of allTopics) expect(schemaFor(t.valueSchema).type).toBeInstanceOf(avro.Type);
  });

  it("allTopics holds every group's topics, even where two groups use one key", () => {
    const declared = Object.values(topicGroups).flatMap((group) => Object.values(group).map((t) => t.name));
    expect(allTopics.map((t) => t.name).sort()).toEqual(declared.sort());
    // `decisions` (fraud) and `experiments.decisions`, `labels` and `recsys.labels`: both of each
    for (const name of ['decisions', 'experiments.decisions', 'labels', 'recsys.labels']) {
      expect(allTopics.map((t) => t.name)).toContain(name);
    }
    expect(topics.decisions.name).toBe('decisions');
    expect(topics.labels.name).toBe('labels');
  });

  it('the recommendation topics are keyed by user and declare who produces and consumes them', () => {
    for (const t of Object.values(topicGroups.recsys)) {
      expect(t.key).toBe('user_id');
      expect(t.valueSchema).toMatch(/^recsys\//);
      expect(t.producers.length).toBeGreaterThan(0);
      expect(t.consumers.length).toBeGreaterThan(0);
    }
  });

  it('turns retention into milliseconds', () => {
    expect(
      topic({
        name: 'a',
        partitions: 1,
        key: 'k',
        valueSchema: 's',
        retention: '2d',
        producers: [],
        consumers: [],
        description: '',
      }).retentionMs,
    ).toBe(172_800_000);
    expect(
      topic({
        name: 'a',
        partitions: 1,
        key: 'k',
        valueSchema: 's',
        retention: '3h',
        producers: [],
        consumers: [],
        description: '',
      }).retentionMs,
    ).toBe(10_800_000);
  });

  it('refuses a bad name, partition count or retention when declared', () => {
    const base = { partitions: 1, key: 'k', valueSchema: 's', producers: [], consumers: [], description: '' };
    expect(() => topic({ ...base, name: 'has space' })).toThrow(/not a valid Kafka topic name/);
    expect(() => topic({ ...base, name: 'a', partitions: 0 })).toThrow(/partitions must be a positive integer/);
    expect(() => topic({ ...base, name: 'a', retention: '7w' as '7d' })).toThrow(/retention '7w'/);
    expect(() => topic({ ...base, name: 'a', cleanup: 'compact', retention: '1d' })).toThrow(
      /compacted topic takes no retention/,
    );
  });
});

describe('schemas', () => {
  it('inlines records from other files, so the registered schema is self-contained', () => {
    const enriched = schemaFor('fraud/enriched-transaction');
    const standalone = avro.Type.forSchema(JSON.parse(enriched.schema));
    expect(standalone.name).toBe('pipeline.fraud.EnrichedTransaction');
    expect(enriched.schema).toContain('"name":"pipeline.fraud.Transaction"');
  });

  it('keeps docs, defaults and logical types in the registered text', () => {
    const text = schemaFor('fraud/transaction').schema;
    expect(text).toContain('"logicalType":"timestamp-millis"');
    expect(text).toContain('"default":null');
    expect(text).toContain('"doc":');
  });

  it('round-trips a transaction', () => {
    const { type } = schemaFor('fraud/transaction');
    const tx = {
      event_id: 'e-1',
      event_time: 1_700_000_000_000,
      customer_id: 'c-1',
      terminal_id: 't-1',
      amount_minor: 1234,
      currency: 'EUR',
      channel: 'ECOM',
      country: 'FR',
      device_hash: null,
      ip_hash: 'abc',
    };
    expect(type.fromBuffer(type.toBuffer(tx))).toEqual(tx);
  });

  it('reports a schema whose referenced type exists nowhere', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    writeFileSync(
      join(dir, 'a.avsc'),
      JSON.stringify({ type: 'record', name: 'A', fields: [{ name: 'b', type: 'Missing' }] }),
    );
    expect(() => loadSchemas(dir)).toThrow(/a\.avsc: .*Missing/);
  });
});

describe('rendered docs', () => {
  it('lists every topic in the table and the diagram', () => {
    const md = renderMarkdown(allTopics);
    for (const t of allTopics) {
      expect(md).toContain(`| \`${t.name}\` | ${t.partitions} |`);
      expect(md).toContain(`[("${t.name}")]`);
    }
    expect(md).toContain('```mermaid');
  });
});
