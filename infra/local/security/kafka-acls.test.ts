import { describe, expect, it } from 'vitest';
import { kafkajsAcls, pipelineAcls } from './kafka-acls.js';

describe("the pipeline's Kafka ACLs", () => {
  it("give the console the operators' topics, its own groups and a view of every group's lag", () => {
    const console = pipelineAcls({ topic: (n) => `r.${n}`, groupPrefix: (p) => `r.${p}` }).filter(
      (a) => a.principal === 'console',
    );
    expect(console.map((a) => `${a.operation} ${a.resource} ${a.pattern} ${a.name}`).sort()).toEqual([
      'describe group literal *',
      'describe topic literal *',
      'read group prefixed r.console',
      'read topic literal r.dead-letters',
      'read topic literal r.experiments.decisions',
      'read topic literal r.monitor.alerts',
      'write topic literal r.audit',
      'write topic literal r.dead-letters',
      'write topic literal r.monitor.retraining-triggers',
    ]);
  });

  it('become kafkajs bindings for User principals, allowed from any host', () => {
    const [binding] = kafkajsAcls([
      { principal: 'sink', resource: 'group', name: 'sink', pattern: 'prefixed', operation: 'read' },
    ]);
    expect(binding).toMatchObject({ principal: 'User:sink', host: '*', resourceName: 'sink' });
  });
});
