import { topic } from './topic.js';

/** Topics of the experiment analysis. Keyed by experiment: one experiment's looks stay ordered. */
export const experimentTopics = {
  decisions: topic({
    name: 'experiments.decisions',
    partitions: 3,
    key: 'experiment',
    valueSchema: 'experiments/decision',
    retention: '90d',
    producers: ['experiments'],
    consumers: ['operators'],
    description:
      'Each daily look of a champion/challenger experiment: verdict, recommendation (promote, roll back, stop) and what the policy did.',
  }),
} as const;
