export { type ApplyResult, applyTopology } from './apply.js';
export type * from './contracts.js';
export { TRANSACTION_FIELDS } from './contracts.js';
export { fraudTopics } from './fraud.js';
export { pipelineTopics } from './pipeline.js';
export { renderMarkdown } from './render.js';
export { type LoadedSchema, loadSchemas, schemaFor, schemasDir } from './schemas.js';
export { type TopicDeclaration, topic, valueSubject } from './topic.js';
export { allTopics, topics } from './topics.js';
