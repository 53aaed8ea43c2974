import { fraudFeatureSet, referenceStream } from '@pipeline/feature-sets';
import { type SimEvent, type SimulatorConfigInput, simulate } from '@pipeline/loadtest';
import type { Label, Transaction } from '@pipeline/topology';
import * as ort from 'onnxruntime-node';

export const DAY = 86_400_000;
export const START = Date.UTC(2026, 0, 1);

export interface TrafficRow {
  tx: Transaction;
  scenario: Extract<SimEvent, { kind: 'transaction' }>['scenario'];
  values: number[];
}

export interface Traffic {
  rows: TrafficRow[];
  labels: Label[];
}

/**
 * Simulated traffic with the fraud_core vectors computeReference gives (the definition the online
 * engine is held to), for transactions from `vectorsFromDay` on; earlier days are history only (the
 * 30-day windows warm up). computeReference is brute force, so each vector is computed over just the
 * events that can matter to it (`referenceStream`). Labels up to `labelsUntil`.
 */
export function traffic(config: SimulatorConfigInput, vectorsFromDay: number, labelsUntil: number): Traffic {
  const vectorsFrom = (config.startTime ?? START) + vectorsFromDay * DAY;
  const reference = referenceStream(fraudFeatureSet);
  const rows: TrafficRow[] = [];
  const labels: Label[] = [];
  for (const e of simulate(config)) {
    if (e.kind === 'label') {
      if (e.value.label_time <= labelsUntil) labels.push(e.value);
      reference.label(e.value);
      continue;
    }
    const values = reference.transaction(e.value, e.value.event_time >= vectorsFrom);
    if (values) rows.push({ tx: e.value, scenario: e.scenario, values });
  }
  return { rows, labels };
}

/** Scores with an ONNX model of the registry (the Node runtime the scorer uses). */
export async function score(modelPath: string, rows: readonly TrafficRow[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const width = fraudFeatureSet.names.length;
  const data = new Float32Array(rows.length * width);
  rows.forEach((r, i) => {
    data.set(r.values, i * width);
  });
  const out = await session.run({ input: new ort.Tensor('float32', data, [rows.length, width]) }, ['probabilities']);
  const probs = out.probabilities?.data as Float32Array;
  await session.release();
  return rows.map((_, i) => probs[i * 2 + 1] as number);
}
