export {
  type Agg,
  type AggOptions,
  agg,
  amountRelativeToMean,
  type Derived,
  ENTITIES,
  type Entity,
  type EventField,
  eventFeatures,
  FeatureDeclarationError,
  type FeatureDef,
  type FeatureSet,
  featureSet,
  groupBy,
  type Operation,
  reachMs,
  type Source,
  sincePrev,
  WINDOWS,
  type WindowName,
} from './dsl.js';
export { eventValue } from './event-values.js';
export { CHANNELS, COUNTRIES, fraudFeatureSet } from './fraud.js';
export { computeReference, type ReferenceEvent, type ReferenceResult } from './reference.js';
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
