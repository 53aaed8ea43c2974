export {
  type Agg,
  type AggOptions,
  agg,
  amountRelativeToMean,
  type CandidateSource,
  type Derived,
  ENTITIES,
  type Entity,
  type EntityDecl,
  type EventField,
  entity,
  eventFeatures,
  FeatureDeclarationError,
  type FeatureDef,
  type FeatureSet,
  featureSet,
  groupBy,
  type Operation,
  type RequestDecl,
  ratio,
  reachMs,
  type Source,
  sincePrev,
  WINDOWS,
  type WindowName,
} from './dsl.js';
export { eventValue } from './event-values.js';
export { CHANNELS, COUNTRIES, fraudFeatureSet } from './fraud.js';
export {
  RECSYS_ENTITIES,
  RECSYS_FEATURE_SETS,
  recsysFeatureSet,
  recsysFeatureSetV1,
  recsysFeatureSetV2,
} from './recsys.js';
export { computeReference, type ReferenceEvent, type ReferenceResult } from './reference.js';
export { changes, computeEventReference, entityId, type FieldEvent } from './reference-events.js';
export {
  computeRequestReference,
  itemOf,
  lookedUpOf,
  mergeByEventTime,
  type RequestStreamItem,
  type RequestVectors,
  rankSource,
  requestProbes,
  selectionProbeId,
  sourceOf,
} from './reference-requests.js';
export { referenceStream } from './reference-stream.js';
export {
  advanceWatermark,
  decodeWatermark,
  encodeWatermark,
  NO_WATERMARK,
  WATERMARK_RANK,
  type Watermark,
  watermarkTime,
} from './watermark.js';
