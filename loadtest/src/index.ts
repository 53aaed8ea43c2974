export { csvField, DATASET_COLUMNS, writeDatasetCsv } from './dataset/csv.js';
export * from './simulator/index.js';
