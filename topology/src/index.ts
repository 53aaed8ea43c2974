export {
  type AclBinding,
  type AclNaming,
  EVERY_SERVICE,
  principalOf,
  topologyAcls,
  topologyPrincipals,
} from './acls.js';
export { type ApplyResult, applyTopology } from './apply.js';
export { auditStartOnTopic, createTopicAudit } from './audit.js';
export type * from './contracts.js';
export {
  ACTION_STATUSES,
  EXPERIMENT_RECOMMENDATIONS,
  EXPERIMENT_VERDICTS,
  INTERACTION_TYPES,
  LABEL_OUTCOMES,
  POLICY_MODES,
  TRANSACTION_FIELDS,
} from './contracts.js';
export { createTopicDeadLetters } from './dead-letters.js';
export { experimentTopics } from './experiments.js';
export { fraudTopics } from './fraud.js';
export { monitorTopics } from './monitor.js';
export { pipelineTopics } from './pipeline.js';
export { recsysTopics } from './recsys.js';
export { renderMarkdown } from './render.js';
export { type LoadedSchema, loadSchemas, schemaFor, schemasDir } from './schemas.js';
export { type TopicDeclaration, topic, valueSubject } from './topic.js';
export { allTopics, topicGroups, topics } from './topics.js';
export {
  EARLIEST_TIME,
  enrichedRequestProblem,
  idProblem,
  interactionProblem,
  LATEST_TIME,
  labelProblem,
  recommendationLabelProblem,
  recommendationScoresProblem,
  requestProblem,
  timeProblem,
  transactionProblem,
} from './validate.js';
