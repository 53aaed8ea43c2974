import { describe, expect, it } from 'vitest';
import { topologyAcls, topologyPrincipals } from './acls.js';
import { topic } from './topic.js';
import { allTopics } from './topics.js';

const declare = (name: string, producers: string[], consumers: string[]) =>
  topic({ name, partitions: 1, key: 'k', valueSchema: 's', producers, consumers, description: '' });

describe('Kafka ACLs from the topology', () => {
  const topics = [
    declare('in', ['producers'], ['features', 'sink']),
    declare('mid', ['features'], ['scorer', 'downstream consumers']),
    declare('dead', ['every service'], ['sink']),
  ];

  it('names a principal per producer and consumer, every service excepted', () => {
    expect(topologyPrincipals(topics)).toEqual(['downstream-consumers', 'features', 'producers', 'scorer', 'sink']);
  });

  it('lets producers write, consumers read and use their own groups, everyone dead-letter', () => {
    const acls = topologyAcls(topics);
    const of = (principal: string) =>
      acls.filter((a) => a.principal === principal).map((a) => `${a.operation} ${a.resource} ${a.pattern} ${a.name}`);
    expect(of('features')).toEqual([
      'read group prefixed features',
      'write topic literal dead',
      'read topic literal in',
      'write topic literal mid',
    ]);
    expect(of('producers')).toEqual(['write topic literal dead', 'write topic literal in']);
    expect(of('scorer')).toEqual(['read group prefixed scorer', 'write topic literal dead', 'read topic literal mid']);
    // The sink reads what it consumes, writes nothing but dead letters.
    expect(of('sink')).toEqual([
      'read group prefixed sink',
      'read topic literal dead',
      'write topic literal dead',
      'read topic literal in',
    ]);
    expect(acls.some((a) => a.principal === 'sink' && a.name === 'mid')).toBe(false);
  });

  it("applies under a run's names", () => {
    const acls = topologyAcls(topics, { topic: (n) => `run1.${n}`, groupPrefix: (p) => `run1.${p}` });
    expect(acls.filter((a) => a.principal === 'scorer')).toEqual([
      { principal: 'scorer', resource: 'group', name: 'run1.scorer', pattern: 'prefixed', operation: 'read' },
      { principal: 'scorer', resource: 'topic', name: 'run1.dead', pattern: 'literal', operation: 'write' },
      { principal: 'scorer', resource: 'topic', name: 'run1.mid', pattern: 'literal', operation: 'read' },
    ]);
  });

  it('lets the sink read decisions, and the API too', () => {
    const readers = topologyAcls(allTopics).filter((a) => a.name === 'decisions' && a.operation === 'read');
    expect(readers.map((a) => a.principal)).toEqual(['api', 'downstream-consumers', 'sink']);
  });

  it("covers the pipeline's own topology: the scorer reads enriched transactions and requests and writes scores (and its audit) only", () => {
    const scorer = topologyAcls(allTopics).filter((a) => a.principal === 'scorer' && a.resource === 'topic');
    expect(scorer.map((a) => `${a.operation} ${a.name}`)).toEqual([
      'write audit',
      'write dead-letters',
      'read recsys.enriched-requests',
      'write recsys.scores',
      'write scores',
      'read transactions.enriched',
    ]);
  });

  it('lets the services without ClickHouse write the audit topic, and only the sink read it', () => {
    const audit = topologyAcls(allTopics).filter((a) => a.resource === 'topic' && a.name === 'audit');
    expect(audit.filter((a) => a.operation === 'write').map((a) => a.principal)).toEqual([
      'api',
      'decision',
      'features',
      'operators',
      'scorer',
    ]);
    expect(audit.filter((a) => a.operation === 'read').map((a) => a.principal)).toEqual(['sink']);
  });
});
