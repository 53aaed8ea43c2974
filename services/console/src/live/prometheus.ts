import { type RequestCounters, requestCounters } from './requests.js';

/** One sample of a Prometheus text page: `name{label="value",...} 12.5`. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text exposition (comments and unreadable lines skipped). */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const value = Number(match[3] === '+Inf' ? Number.POSITIVE_INFINITY : match[3]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const [, key, val] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key as string] = (val as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

/** Sum of a metric's samples, optionally grouped by one label: `{ '': total }` or `{ [label value]: sum }`. */
export function sumBy(samples: readonly PromSample[], name: string, label?: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = label ? (s.labels[label] ?? '') : '';
    sums[key] = (sums[key] ?? 0) + s.value;
  }
  return sums;
}

/** What the console reads of a service's /metrics: messages consumed and dead-lettered, per topic; requests served. */
export interface ServiceCounters {
  consumed: Record<string, number>;
  deadLettered: Record<string, number>;
  /** The decision API's requests and latency histogram (null: the service serves no requests). */
  requests: RequestCounters | null;
}

/** The shared consumer loop's counters (`pipeline_messages_consumed`, `pipeline_dead_letters`), by topic. */
export function serviceCounters(text: string): ServiceCounters {
  const samples = parsePrometheus(text);
  return {
    consumed: sumBy(samples, 'pipeline_messages_consumed_total', 'topic'),
    deadLettered: sumBy(samples, 'pipeline_dead_letters_total', 'topic'),
    requests: requestCounters(samples),
  };
}
