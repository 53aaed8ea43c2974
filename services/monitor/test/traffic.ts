import { computeReference, fraudFeatureSet, type ReferenceEvent } from '@pipeline/feature-sets';
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
 * events that can matter to it (the build-training-set script's method). Labels up to `labelsUntil`.
 */
export function traffic(config: SimulatorConfigInput, vectorsFromDay: number, labelsUntil: number): Traffic {
  const keepMs = 32 * DAY;
  const vectorsFrom = (config.startTime ?? START) + vectorsFromDay * DAY;
  interface Seq {
    seq: number;
    event: ReferenceEvent;
    time: number;
  }
  const byCustomer = new Map<string, Seq[]>();
  const byTerminalTx = new Map<string, Seq[]>();
  const byTerminalFraud = new Map<string, Seq[]>();
  const push = (map: Map<string, Seq[]>, key: string, item: Seq) => {
    const list = map.get(key);
    if (list) list.push(item);
    else map.set(key, [item]);
  };
  const trim = (list: Seq[], from: number) => {
    let i = 0;
    while (i < list.length && (list[i] as Seq).time < from) i++;
    if (i > 0) list.splice(0, i);
  };
  const rows: TrafficRow[] = [];
  const labels: Label[] = [];
  let seq = 0;
  for (const e of simulate(config)) {
    seq++;
    if (e.kind === 'label') {
      if (e.value.label_time <= labelsUntil) labels.push(e.value);
      if (e.value.is_fraud) push(byTerminalFraud, e.value.terminal_id, { seq, event: e, time: e.value.label_time });
      continue;
    }
    const tx = e.value;
    const self: ReferenceEvent = { kind: 'transaction', value: tx };
    if (tx.event_time >= vectorsFrom) {
      const cust = byCustomer.get(tx.customer_id) ?? [];
      const term = byTerminalTx.get(tx.terminal_id) ?? [];
      const fraud = byTerminalFraud.get(tx.terminal_id) ?? [];
      trim(term, tx.event_time - keepMs);
      trim(fraud, tx.event_time - keepMs);
      const recent = cust.filter((s, i) => s.time >= tx.event_time - keepMs || i === cust.length - 1);
      byCustomer.set(tx.customer_id, recent);
      const merged = new Map<number, Seq>();
      for (const s of [...recent, ...term, ...fraud]) merged.set(s.seq, s);
      const history = [...merged.values()].sort((a, b) => a.seq - b.seq).map((s) => s.event);
      const result = computeReference(fraudFeatureSet, [...history, self], {
        allowedLatenessMs: Number.MAX_SAFE_INTEGER,
      }).at(-1);
      if (result?.status !== 'ok') throw new Error(`no vector for ${tx.event_id}`);
      rows.push({ tx, scenario: e.scenario, values: result.values });
    }
    const item = { seq, event: self, time: tx.event_time };
    push(byCustomer, tx.customer_id, item);
    push(byTerminalTx, tx.terminal_id, item);
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
