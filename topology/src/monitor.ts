import { topic } from './topic.js';

/** Topics of the model monitor and the retraining loop. Keyed by model name: one model's events stay ordered. */
export const monitorTopics = {
  alerts: topic({
    name: 'monitor.alerts',
    partitions: 3,
    key: 'model_name',
    valueSchema: 'monitor/alert',
    retention: '90d',
    producers: ['monitor'],
    consumers: ['operators'],
    description:
      'A check (drift, quality, performance, decision mix) opened or closed an episode: once each, with the evidence.',
  }),
  retrainingTriggers: topic({
    name: 'monitor.retraining-triggers',
    partitions: 3,
    key: 'model_name',
    valueSchema: 'monitor/retraining-trigger',
    retention: '90d',
    producers: ['monitor', 'operators'],
    consumers: ['retrain'],
    description: 'One request to retrain per drift or performance episode, with the reasons, figures and windows.',
  }),
} as const;
