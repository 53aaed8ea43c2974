import { experimentTopics } from './experiments.js';
import { fraudTopics } from './fraud.js';
import { monitorTopics } from './monitor.js';
import { pipelineTopics } from './pipeline.js';
import type { TopicDeclaration } from './topic.js';

export const topics = { ...fraudTopics, ...monitorTopics, ...experimentTopics, ...pipelineTopics } as const;

/**
 * Every topic, from each group's own declarations: `topics` merges the groups by key, and two share
 * the key `decisions` (the pipeline's and the experiments'), so its values would lose one.
 */
export const allTopics: readonly TopicDeclaration[] = [
  fraudTopics,
  monitorTopics,
  experimentTopics,
  pipelineTopics,
].flatMap((group) => Object.values(group));
