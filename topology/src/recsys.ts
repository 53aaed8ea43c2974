import { topic } from './topic.js';

/**
 * Topics of the recommendation use case, beside the fraud ones: keyed by user, whose order matters
 * (a request must see the user's interactions before it). Partition counts as for fraud.
 */
export const recsysTopics = {
  interactions: topic({
    name: 'recsys.interactions',
    partitions: 6,
    key: 'user_id',
    valueSchema: 'recsys/interaction',
    retention: '30d',
    producers: ['producers', 'loadtest'],
    consumers: ['features', 'sink'],
    compatibility: 'FULL_TRANSITIVE',
    description:
      'Views, clicks, add-to-carts and purchases of items by users, one stream for every type. Kept 30 days so features can be rebuilt by replay.',
  }),
  requests: topic({
    name: 'recsys.requests',
    partitions: 6,
    key: 'user_id',
    valueSchema: 'recsys/recommendation-request',
    retention: '7d',
    producers: ['producers', 'loadtest', 'api'],
    consumers: ['features', 'sink'],
    compatibility: 'FULL_TRANSITIVE',
    description: 'A surface asks for a ranked list for a user: context and candidate items (or a candidate source).',
  }),
  enrichedRequests: topic({
    name: 'recsys.enriched-requests',
    partitions: 6,
    key: 'user_id',
    valueSchema: 'recsys/enriched-request',
    retention: '7d',
    producers: ['features'],
    consumers: ['scorer', 'decision', 'sink'],
    description:
      "Each request with one feature vector per candidate item, as of the request's event time (the interactions before it).",
  }),
  scores: topic({
    name: 'recsys.scores',
    partitions: 6,
    key: 'user_id',
    valueSchema: 'recsys/score',
    retention: '7d',
    producers: ['scorer'],
    consumers: ['decision', 'sink'],
    description:
      "One event per request per model (champion, challenger, shadows): a score for each candidate, in the request's order.",
  }),
  recommendations: topic({
    name: 'recsys.recommendations',
    partitions: 6,
    key: 'user_id',
    valueSchema: 'recsys/recommendation',
    retention: '7d',
    producers: ['decision'],
    consumers: ['sink', 'downstream consumers', 'api'],
    compatibility: 'FULL_TRANSITIVE',
    description: 'The ranked list for each request, with scores, reasons and provenance (model, rules, variant).',
  }),
  labels: topic({
    name: 'recsys.labels',
    partitions: 6,
    key: 'user_id',
    valueSchema: 'recsys/label',
    retention: '90d',
    producers: ['producers', 'loadtest'],
    consumers: ['sink'],
    compatibility: 'FULL_TRANSITIVE',
    description: 'Clicks, add-to-carts and purchases attributed to the recommendation whose list showed the item.',
  }),
} as const;
