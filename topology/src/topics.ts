import { fraudTopics } from './fraud.js';
import { pipelineTopics } from './pipeline.js';
import type { TopicDeclaration } from './topic.js';

export const topics = { ...fraudTopics, ...pipelineTopics } as const;

export const allTopics: readonly TopicDeclaration[] = Object.values(topics);
