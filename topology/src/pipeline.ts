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
    consumers: ['sink', 'operators'],
    description: 'Messages a service could not process, with the reason and their topic, partition and offset.',
  }),
} as const;
