import { experimentTopics } from './experiments.js';
import { fraudTopics } from './fraud.js';
import { monitorTopics } from './monitor.js';
import { pipelineTopics } from './pipeline.js';
import type { TopicDeclaration } from './topic.js';

export const topics = { ...fraudTopics, ...monitorTopics, ...experimentTopics, ...pipelineTopics } as const;

export const allTopics: readonly TopicDeclaration[] = Object.values(topics);
