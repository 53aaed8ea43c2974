import { topic } from './topic.js';

/** Topics of the fraud use case. Partition counts bound how many instances of a service can share work. */
export const fraudTopics = {
  transactions: topic({
    name: 'transactions',
    partitions: 6,
    key: 'customer_id',
    valueSchema: 'fraud/transaction',
    retention: '30d',
    producers: ['producers', 'loadtest', 'api'],
    consumers: ['features', 'sink'],
    compatibility: 'FULL_TRANSITIVE',
    description: 'Card transactions as they happen. Kept 30 days so features can be rebuilt by replay.',
  }),
  labels: topic({
    name: 'labels',
    partitions: 6,
    key: 'customer_id',
    valueSchema: 'fraud/label',
    retention: '90d',
    producers: ['producers', 'loadtest'],
    consumers: ['features', 'sink'],
    compatibility: 'FULL_TRANSITIVE',
    description: 'Fraud or genuine, known days after the transaction (chargebacks, confirmations).',
  }),
  enriched: topic({
    name: 'transactions.enriched',
    partitions: 6,
    key: 'customer_id',
    valueSchema: 'fraud/enriched-transaction',
    retention: '7d',
    producers: ['features'],
    consumers: ['scorer', 'decision', 'sink', 'api'],
    description: 'Each transaction with its feature vector as of its event time.',
  }),
  scores: topic({
    name: 'scores',
    partitions: 6,
    key: 'customer_id',
    valueSchema: 'fraud/score',
    retention: '7d',
    producers: ['scorer'],
    consumers: ['decision', 'sink'],
    description: 'One score per transaction per model (champion, challengers, shadows).',
  }),
  decisions: topic({
    name: 'decisions',
    partitions: 6,
    key: 'customer_id',
    valueSchema: 'fraud/decision',
    retention: '7d',
    // The API emits its answered fallback of an event the pipeline dead-lettered (services/api/README.md).
    producers: ['decision', 'api'],
    consumers: ['sink', 'downstream consumers', 'api'],
    compatibility: 'FULL_TRANSITIVE',
    description: 'Approve, review, decline or step-up for every transaction, with reasons and provenance.',
  }),
} as const;
