import { experimentTopics } from './experiments.js';
import { fraudTopics } from './fraud.js';
import { monitorTopics } from './monitor.js';
import { pipelineTopics } from './pipeline.js';
import { recsysTopics } from './recsys.js';
import type { TopicDeclaration } from './topic.js';

/** Every declaration, by the group that owns it: one use case's keys may repeat another's (`labels`). */
export const topicGroups = {
  fraud: fraudTopics,
  recsys: recsysTopics,
  monitor: monitorTopics,
  experiments: experimentTopics,
  pipeline: pipelineTopics,
} as const;

/**
 * The fraud use case's and the shared topics by key, as the fraud services and the load generator
 * read them; the other groups by their own export. Fraud is spread last so its keys win
 * (`experimentTopics.decisions` once hid `decisions` from `allTopics`, built from this map then).
 */
export const topics = { ...monitorTopics, ...pipelineTopics, ...fraudTopics } as const;

/** Every declared topic, from the groups, so a key shared by two groups loses neither topic. */
export const allTopics: readonly TopicDeclaration[] = Object.values(topicGroups).flatMap((group) =>
  Object.values<TopicDeclaration>(group),
);
