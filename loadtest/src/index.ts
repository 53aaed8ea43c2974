export { csvField, DATASET_COLUMNS, writeDatasetCsv } from './dataset/csv.js';
export { createPacer, dueWithin, type Pacer } from './load/pacer.js';
export {
  createPublishEncoders,
  type PublishEncoders,
  type PublishOptions,
  type PublishProgress,
  type PublishStats,
  publish,
  publishRouted,
  type RoutedMessage,
  type RoutedPublishOptions,
} from './load/publisher.js';
export { type LatencyProbe, type ProbeReport, startLatencyProbe } from './probe/latency-probe.js';
export { percentile, type Summary, summarize, summarizeSorted, ValueRecorder } from './probe/percentiles.js';
export * from './recsys/index.js';
export * from './simulator/index.js';
