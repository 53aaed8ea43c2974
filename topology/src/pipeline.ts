import { topic } from './topic.js';

/** Topics every use case shares. */
export const pipelineTopics = {
  deadLetters: topic({
    name: 'dead-letters',
    partitions: 3,
    key: 'original topic',
    valueSchema: 'pipeline/dead-letter',
    retention: '30d',
    producers: ['every service'],
    consumers: ['sink', 'api', 'operators'],
    description: 'Messages a service could not process, with the reason and their topic, partition and offset.',
  }),
  audit: topic({
    name: 'audit',
    partitions: 1,
    key: 'service',
    valueSchema: 'pipeline/audit',
    retention: '30d',
    // The programs without a ClickHouse connection; the others write audit_log themselves.
    producers: ['features', 'scorer', 'decision', 'api', 'operators'],
    consumers: ['sink'],
    description:
      'Audit entries (start-up configuration, promotions made with `npm run model`) that the sink stores in audit_log, once per id.',
  }),
} as const;
