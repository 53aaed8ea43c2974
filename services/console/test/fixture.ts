import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import type { AliasFile } from '@pipeline/scorer';
import {
  type AvroSerde,
  type ClickHouseClient,
  createAvroSerde,
  createClickHouse,
  createLogger,
  createProducer,
  createRegistryClient,
  INGEST_TIME_HEADER,
  identifier,
  type Kafka,
  literal,
  type Producer,
  raw,
  type SqlValue,
  sql,
  tokenizerFromEnv,
} from '@pipeline/shared';
import {
  createTopic,
  securityEnv,
  servers,
  type TestPrincipals,
  testKafka,
  testPrincipals,
  uniqueName,
} from '@pipeline/testing';
import { type Label, schemaFor } from '@pipeline/topology';
import { parseConfig } from '../src/config.js';
import { type RunningConsole, startConsole } from '../src/console.js';

/** The key ring of the console under test: the seeded rows' ids are tokens under it. */
export const CONSOLE_TEST_KEYS = `t1:${'console-test-secret-'.repeat(2)}`;
const TEST_TOKENS = tokenizerFromEnv({ PII_TOKEN_KEYS: CONSOLE_TEST_KEYS });

/** Event time of the seeded decisions: a fixed day, so the mix and the queue are known exactly. */
export const DAY = Date.UTC(2026, 0, 10) / 1000;
const HOUR = 3_600;

export interface SeededEvent {
  id: string;
  /** The raw customer id; `customer` and `terminal` are tokens, as the sink stores them. */
  rawCustomer: string;
  customer: string;
  terminal: string;
  eventTime: number;
  action: 'APPROVE' | 'REVIEW' | 'DECLINE';
  path: 'MODEL_AND_RULES' | 'RULES_ONLY';
  variant: string;
  score: number | null;
}

/** The principals the fixture's console admits besides testPrincipals' own. */
export const ANA = 'ana.lima';
export const OPS = 'ops.oncall';

export interface ConsoleFixture {
  url: string;
  /** Tokens the console admits: per role, without each role, and ANA and OPS (read and operate). */
  principals: TestPrincipals;
  console: RunningConsole;
  kafka: Kafka;
  serde: AvroSerde;
  clickhouse: ClickHouseClient;
  topics: { transactions: string; enriched: string; scores: string; decisions: string; labels: string };
  lagGroup: string;
  events: SeededEvent[];
  /** Publishes `n` messages on the transactions topic and each hop's topic, stamped with an ingest time. */
  traffic(n: number): Promise<void>;
  /** The fixture's own model registry (MODEL_REGISTRY_DIR): fraud_gbdt@1 archived, @2 champion, @3 shadow. */
  registryDir: string;
  /** Its alias file as stored now. */
  aliases(): AliasFile;
  /** The labels published on the labels topic so far, decoded. */
  labels(): Promise<Label[]>;
  stop(): Promise<void>;
}

function rows(values: readonly Record<string, SqlValue>[]): { columns: string; values: string } {
  const columns = Object.keys(values[0] ?? {});
  return {
    columns: columns.join(', '),
    values: values.map((v) => `(${columns.map((c) => literal(v[c] as SqlValue)).join(', ')})`).join(', '),
  };
}

async function insert(client: ClickHouseClient, table: string, values: Record<string, SqlValue>[]): Promise<void> {
  const r = rows(values);
  await client.command({ query: sql`INSERT INTO ${identifier(table)} (${raw(r.columns)}) VALUES ${raw(r.values)}` });
}

/** Seeded events: three to review (oldest first: r1, r2, r3), approvals, a rules-only decline. */
export function seededEvents(prefix: string): SeededEvent[] {
  const e = (
    n: string,
    hours: number,
    action: SeededEvent['action'],
    extra: Partial<SeededEvent> = {},
  ): SeededEvent => ({
    id: `${prefix}-${n}`,
    rawCustomer: `C${n}`,
    customer: TEST_TOKENS.token('customer', `C${n}`),
    terminal: TEST_TOKENS.token('terminal', `T${n}`),
    eventTime: DAY + 12 * HOUR + hours * HOUR,
    action,
    path: 'MODEL_AND_RULES',
    variant: 'control',
    score: action === 'REVIEW' ? 0.75 : 0.1,
    ...extra,
  });
  return [
    e('r2', -2, 'REVIEW'),
    e('r1', -3, 'REVIEW'),
    e('r3', -1, 'REVIEW', { variant: 'strict' }),
    ...[0, 1, 2, 3, 4].map((i) => e(`a${i}`, -i, 'APPROVE', { variant: i % 2 === 0 ? 'control' : 'strict' })),
    e('d1', 0, 'DECLINE', { path: 'RULES_ONLY', score: null }),
  ];
}

async function seed(client: ClickHouseClient, events: SeededEvent[]): Promise<void> {
  const decidedMs = (e: SeededEvent) => e.eventTime * 1000 + 80;
  await insert(
    client,
    'decisions',
    events.map((e) => ({
      event_id: e.id,
      customer_id: e.customer,
      event_time: e.eventTime,
      action: e.action,
      reason_codes: e.action === 'REVIEW' ? ['RULE:large_online_fallback', 'SCORE_BAND:high'] : ['SCORE_BAND:low'],
      score: e.score,
      path: e.path,
      rule_set_version: 'test.1',
      model_name: e.score === null ? null : 'fraud_gbdt',
      model_version: e.score === null ? null : '2',
      feature_set_version: fraudFeatureSet.version,
      experiment_variant: e.variant,
      decided_at: Math.floor(decidedMs(e) / 1000),
      decided_at_ms: decidedMs(e),
    })),
  );
  await insert(
    client,
    'transactions_enriched',
    events.map((e) => ({
      event_id: e.id,
      event_time: e.eventTime,
      customer_id: e.customer,
      terminal_id: e.terminal,
      amount_minor: 125_000,
      currency: 'EUR',
      channel: 'ECOM',
      country: 'PT',
      device_hash: null,
      ip_hash: null,
      feature_set: fraudFeatureSet.name,
      feature_set_version: fraudFeatureSet.version,
      feature_values: fraudFeatureSet.names.map((_, i) => (i === 0 ? Number.NaN : i / 10)),
      computed_at: e.eventTime,
      computed_at_ms: e.eventTime * 1000 + 30,
    })),
  );
  await insert(
    client,
    'scores',
    events
      .filter((e) => e.score !== null)
      .map((e) => ({
        event_id: e.id,
        customer_id: e.customer,
        event_time: e.eventTime,
        model_name: 'fraud_gbdt',
        model_version: '2',
        feature_set_version: fraudFeatureSet.version,
        score: e.score,
        shadow: false,
        latency_ms: 4.5,
        scored_at: e.eventTime,
        scored_at_ms: e.eventTime * 1000 + 50,
        contribution_features: [fraudFeatureSet.names[1] as string],
        contribution_values: [0.25],
      })),
  );
  const now = Date.now();
  await insert(client, 'dead_letters', [
    {
      topic: 'transactions',
      partition: 0,
      offset: 7,
      service: 'features',
      error_type: 'MalformedMessageError',
      error: 'frame too short',
      original_key: 'k',
      original_value_length: 3,
      event_time: null,
      dead_lettered_at: Math.floor(now / 1000),
      dead_lettered_at_ms: now,
    },
  ]);
}

/**
 * A throw-away model registry as the scorer's file registry lays it out (metadata.json per version,
 * aliases.json with its history): fraud_gbdt@1 on fraud_core v1 (archived), @2 the champion (it
 * replaced @1), @3 a shadow. No model files: the console reads metadata and aliases only.
 */
function seedRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'console-registry-'));
  for (const version of ['1', '2', '3']) {
    mkdirSync(join(dir, 'fraud_gbdt', version), { recursive: true });
    const featureVersion = version === '1' ? 1 : fraudFeatureSet.version;
    writeFileSync(
      join(dir, 'fraud_gbdt', version, 'metadata.json'),
      JSON.stringify({
        name: 'fraud_gbdt',
        version,
        created_at: `2026-01-0${version}T10:00:00Z`,
        created_by: 'trainer',
        file: 'model.onnx',
        sha256: '0'.repeat(64),
        feature_set: { name: fraudFeatureSet.name, version: featureVersion, names: [] },
        input: 'input',
        output: { name: 'probabilities', column: 1 },
        reference_vector: [],
        training_window: {
          train_from: '2025-11-01T00:00:00Z',
          train_to: '2025-12-01T00:00:00Z',
          test_from: '2025-12-01T00:00:00Z',
          test_to: '2025-12-08T00:00:00Z',
        },
        metrics: { roc_auc: 0.9 + Number(version) / 100, average_precision: 0.5 + Number(version) / 100 },
      }),
    );
  }
  const change = (at: string, ref: string, alias: string, previous: string | null, why: string) => ({
    at,
    by: 'root',
    why,
    action: 'promote',
    ref,
    alias,
    previous,
  });
  writeFileSync(
    join(dir, 'aliases.json'),
    JSON.stringify({
      champion: 'fraud_gbdt@2',
      challenger: null,
      shadow: ['fraud_gbdt@3'],
      archived: ['fraud_gbdt@1'],
      history: [
        change('2026-01-01T12:00:00.000Z', 'fraud_gbdt@1', 'champion', null, 'baseline'),
        change('2026-01-02T12:00:00.000Z', 'fraud_gbdt@2', 'champion', 'fraud_gbdt@1', 'fraud_core v2'),
        change('2026-01-03T12:00:00.000Z', 'fraud_gbdt@3', 'shadow', null, 'compare on live traffic'),
      ],
    }),
  );
  return dir;
}

/**
 * The shadow fraud_gbdt@3 scoring the same events as the champion, and labels: r3 fraud, the
 * approvals genuine. @2 ranks them perfectly; @3 scores the reviews 0.4, a0 0.6, the other approvals 0.2.
 */
async function seedShadowAndLabels(client: ClickHouseClient, events: SeededEvent[]): Promise<void> {
  const scored = events.filter((e) => e.score !== null);
  await insert(
    client,
    'scores',
    scored.map((e) => ({
      event_id: e.id,
      customer_id: e.customer,
      event_time: e.eventTime,
      model_name: 'fraud_gbdt',
      model_version: '3',
      feature_set_version: fraudFeatureSet.version,
      score: e.action === 'REVIEW' ? 0.4 : e.id.endsWith('-a0') ? 0.6 : 0.2,
      shadow: true,
      latency_ms: 5,
      scored_at: e.eventTime,
      scored_at_ms: e.eventTime * 1000 + 51,
      contribution_features: [],
      contribution_values: [],
    })),
  );
  const labelled = events.filter((e) => e.id.endsWith('-r3') || e.action === 'APPROVE');
  await insert(
    client,
    'labels',
    labelled.map((e) => ({
      transaction_id: e.id,
      customer_id: e.customer,
      terminal_id: e.terminal,
      is_fraud: e.action === 'REVIEW',
      label_time: e.eventTime + 7_200,
      label_time_ms: (e.eventTime + 7_200) * 1000,
      transaction_time_ms: e.eventTime * 1000,
    })),
  );
}

/** Monitor runs at the three window ends before DAY + 1 day: drift rising on the score and one feature. */
export const MONITOR_ENDS = [DAY - 86_400, DAY, DAY + 86_400];
export const DRIFTING_FEATURE = fraudFeatureSet.names[1] as string;

async function seedMonitor(client: ClickHouseClient): Promise<void> {
  const metric = (
    t: number,
    kind: string,
    subject: string,
    name: string,
    value: number,
    extra: Record<string, SqlValue> = {},
  ): Record<string, SqlValue> => ({
    window_start: t - 86_400,
    window_end: t,
    kind,
    model_name: 'fraud_gbdt',
    model_version: '2',
    variant: 'control',
    subject,
    metric: name,
    value,
    threshold: null,
    breached: 0,
    n: 800,
    n_reference: 20_000,
    reference_start: DAY - 60 * 86_400,
    reference_end: DAY - 30 * 86_400,
    computed_at: t + 600,
    computed_at_ms: (t + 600) * 1000,
    ...extra,
  });
  const metrics: Record<string, SqlValue>[] = [];
  MONITOR_ENDS.forEach((t, i) => {
    const last = i === MONITOR_ENDS.length - 1;
    const drift = (subject: string, psi: number, ks: number) => [
      metric(t, 'DRIFT', subject, 'psi', psi, { threshold: 0.25, breached: psi >= 0.25 ? 1 : 0 }),
      metric(t, 'DRIFT', subject, 'ks', ks, { threshold: 0.2, breached: ks >= 0.2 ? 1 : 0 }),
    ];
    metrics.push(
      ...drift('score', [0.02, 0.05, 0.31][i] as number, 0.05 + i * 0.04),
      ...drift(DRIFTING_FEATURE, [0.04, 0.12, 0.46][i] as number, [0.03, 0.1, 0.27][i] as number),
      ...drift(fraudFeatureSet.names[2] as string, 0.01, 0.02),
      metric(t, 'QUALITY', DRIFTING_FEATURE, 'null_share', 0),
      metric(t, 'QUALITY', DRIFTING_FEATURE, 'out_of_range_share', last ? 0.08 : 0.01, {
        threshold: 0.05,
        breached: last ? 1 : 0,
      }),
      metric(t, 'QUALITY', '', 'volume_ratio', 1 + i * 0.1, { threshold: 0.5 }),
      metric(t, 'QUALITY', '', 'dead_letter_share', 0.001 * (i + 1), {
        model_name: '',
        model_version: '',
        variant: '',
        threshold: 0.01,
      }),
    );
    for (const [version, variant, auc, ap] of [
      ['2', 'control', 0.93 - i * 0.01, 0.6 - i * 0.1],
      ['2', 'strict', 0.92, 0.55],
      ['3', 'control', 0.95, 0.7],
    ] as const) {
      const perf = { model_version: version, variant };
      metrics.push(
        metric(t, 'PERFORMANCE', '', 'roc_auc', auc, { ...perf, threshold: 0.8 }),
        metric(t, 'PERFORMANCE', '', 'average_precision', ap, {
          ...perf,
          threshold: 0.45,
          breached: ap < 0.45 ? 1 : 0,
        }),
        metric(t, 'PERFORMANCE', '', 'card_precision_at_100', 0.2 + i * 0.01, perf),
      );
    }
  });
  await insert(client, 'monitor_metrics', metrics);
  await insert(
    client,
    'monitor_runs',
    MONITOR_ENDS.map((t, i) => ({
      window_start: t - 86_400,
      window_end: t,
      clock: 'EVENT',
      models: 2,
      rows: 800,
      figures: 120,
      breaches: i === 2 ? 4 : 0,
      alerts: i === 2 ? 2 : 0,
      triggers: i === 2 ? 1 : 0,
      duration_ms: 150,
      computed_at: t + 600,
      computed_at_ms: (t + 600) * 1000,
    })),
  );
  const end = MONITOR_ENDS[2] as number;
  const alert = (id: string, kind: string, triggerId: string, reasons: string[]) => ({
    alert_id: id,
    episode_id: `episode-${id}`,
    status: 'OPEN',
    kind,
    model_name: 'fraud_gbdt',
    model_version: '2',
    variant: 'control',
    window_start: end - 86_400,
    window_end: end,
    reasons,
    evidence_subjects: kind === 'DRIFT' ? ['score', DRIFTING_FEATURE] : [DRIFTING_FEATURE],
    evidence_metrics: kind === 'DRIFT' ? ['psi', 'psi'] : ['out_of_range_share'],
    evidence_values: kind === 'DRIFT' ? [0.31, 0.46] : [0.08],
    trigger_id: triggerId,
    emitted_at: end + 600,
    emitted_at_ms: (end + 600) * 1000 + (kind === 'DRIFT' ? 1 : 0),
  });
  await insert(client, 'monitor_alerts', [
    alert('alert-drift', 'DRIFT', 'trigger-drift', [
      'psi(score) 0.31 >= 0.25 (n=800)',
      `psi(${DRIFTING_FEATURE}) 0.46 >= 0.25 (n=800)`,
    ]),
    alert('alert-quality', 'QUALITY', '', [`out_of_range_share(${DRIFTING_FEATURE}) 0.08 >= 0.05 (n=800)`]),
  ]);
  await insert(client, 'monitor_episodes', [
    {
      kind: 'DRIFT',
      model_name: 'fraud_gbdt',
      model_version: '2',
      variant: 'control',
      state: 'OPEN',
      episode_id: 'episode-alert-drift',
      opened_at: end,
      clean_runs: 0,
      last_window_end: end,
      version: end,
    },
  ]);
  await insert(client, 'retrainings', [
    {
      trigger_id: 'trigger-drift',
      model_name: 'fraud_gbdt',
      champion_version: '2',
      reasons: ['psi(score) 0.31 >= 0.25 (n=800)'],
      cutoff: end,
      train_from: end - 63 * 86_400,
      train_to: end - 42 * 86_400,
      eval_from: end - 42 * 86_400,
      eval_to: end - 35 * 86_400,
      train_rows: 11_336,
      train_frauds: 120,
      eval_rows: 2_544,
      eval_frauds: 30,
      metric: 'average_precision',
      margin: 0,
      candidate_roc_auc: 0.97,
      candidate_average_precision: 0.865,
      champion_roc_auc: 0.9,
      champion_average_precision: 0.327,
      decision: 'REGISTERED_SHADOW',
      candidate_version: '3',
      error: '',
      started_at: end + 700,
      duration_ms: 2_500,
      finished_at_ms: (end + 703) * 1000,
    },
  ]);
}

/** A stand-in for a pipeline service's health server: ready or not, with the consumer loop's counters. */
/** Three daily looks of experiment `gbdt_v3`: `strict` (fraud_gbdt@3) against `control` (fraud_gbdt@2). */
export const EXPERIMENT_LOOKS = [DAY - 86_400, DAY, DAY + 86_400];

async function seedExperiments(client: ClickHouseClient): Promise<void> {
  const base = {
    experiment: 'gbdt_v3',
    control: 'control',
    window_start: DAY - 3 * 86_400,
    units: 400,
    n: 5_000,
    realized: Number.NaN,
  };
  const results: Record<string, SqlValue>[] = [];
  EXPERIMENT_LOOKS.forEach((t, i) => {
    const at = { as_of: t, window_end: t, computed_at: t + 60, computed_at_ms: (t + 60) * 1000 };
    // The primary metric's difference settles at 40 cents per transaction; its sequence leaves zero at the last look.
    results.push({
      ...base,
      ...at,
      variant: 'strict',
      metric: 'fraud_caught_per_txn',
      kind: 'PRIMARY',
      value: 140 + 10 * i,
      control_value: 100,
      difference: 40 + 10 * i,
      ci_low: 10 + 15 * i,
      ci_high: 70 + 5 * i,
      cs_low: i === 2 ? 5 : Number.NaN,
      cs_high: i === 2 ? 95 : Number.POSITIVE_INFINITY,
      p_value: [0.3, 0.08, 0.01][i] as number,
      mde: 35,
      breached: 0,
    });
    results.push({
      ...base,
      ...at,
      variant: 'strict',
      metric: 'decline_rate',
      kind: 'GUARDRAIL',
      value: 0.012,
      control_value: 0.01,
      difference: 0.002,
      ci_low: -0.001,
      ci_high: 0.005,
      cs_low: -0.004,
      cs_high: 0.008,
      p_value: 0.4,
      mde: 0.003,
      breached: i === 2 ? 1 : 0,
    });
    results.push({
      ...base,
      ...at,
      variant: 'control',
      metric: 'fraud_caught_per_txn',
      kind: 'PRIMARY',
      value: 100,
      control_value: Number.NaN,
      difference: Number.NaN,
      ci_low: Number.NaN,
      ci_high: Number.NaN,
      cs_low: Number.NaN,
      cs_high: Number.NaN,
      p_value: Number.NaN,
      mde: Number.NaN,
      breached: 0,
    });
  });
  await insert(client, 'experiment_results', results);
  await insert(
    client,
    'experiment_decisions',
    EXPERIMENT_LOOKS.map((t, i) => ({
      decision_id: `look-${i}`,
      experiment: 'gbdt_v3',
      variant: 'strict',
      control: 'control',
      as_of: t,
      verdict: i === 2 ? 'CHALLENGER_WINS' : 'CONTINUE',
      recommendation: i === 2 ? 'PROMOTE' : 'CONTINUE',
      mode: 'RECOMMEND',
      action_status: i === 2 ? 'RECOMMENDED' : 'NONE',
      action_detail: i === 2 ? 'promote fraud_gbdt@3 to champion' : '',
      control_model: 'fraud_gbdt@2',
      variant_model: 'fraud_gbdt@3',
      min_p_value: [0.3, 0.08, 0.01][i] as number,
      reasons: i === 2 ? ['fraud_caught_per_txn above zero'] : [],
      computed_at: t + 60,
      computed_at_ms: (t + 60) * 1000,
    })),
  );
}

/** A watched service's health server: like the real one, it answers only the read token. */
async function fakeService(token: string, ready: () => boolean, metrics: () => string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="pipeline"' });
      response.end(JSON.stringify({ error: 'this needs a credential' }));
    } else if (request.url === '/health/ready') {
      response.writeHead(ready() ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify(ready() ? { status: 'ready' } : { status: 'not ready', failing: ['consuming'] }));
    } else if (request.url === '/metrics') {
      response.end(metrics());
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  const s = servers();
  const name = uniqueName('console');
  const database = uniqueName('console_db');
  const topics = {
    transactions: uniqueName('transactions'),
    enriched: uniqueName('enriched'),
    scores: uniqueName('scores'),
    decisions: uniqueName('decisions'),
    labels: uniqueName('labels'),
  };
  const kafka = testKafka(name);
  for (const topic of Object.values(topics)) await createTopic(kafka, topic, 2);
  const producer: Producer = createProducer(kafka);
  await producer.connect();

  const principals = testPrincipals({ [ANA]: ['read', 'operate'], [OPS]: ['read', 'operate'] });
  let consumed = 0;
  const ready = await fakeService(
    principals.only.read,
    () => true,
    () =>
      `# TYPE pipeline_messages_consumed_total counter\npipeline_messages_consumed_total{topic="${topics.transactions}"} ${consumed}\npipeline_dead_letters_total{topic="${topics.transactions}"} 2\n`,
  );
  const notReady = await fakeService(
    principals.only.read,
    () => false,
    () => '',
  );
  // A decision API: ten more requests at each scrape, nine answered by the pipeline within 20 ms, one
  // by the fallback within 100 ms.
  let requests = 0;
  const api = await fakeService(
    principals.only.read,
    () => true,
    () => {
      requests += 10;
      const pipeline = (requests * 9) / 10;
      return [
        `api_requests_total{status="200",source="pipeline"} ${pipeline}`,
        `api_requests_total{status="200",source="rules_only_fallback"} ${requests - pipeline}`,
        `api_latency_bucket{le="20"} ${pipeline}`,
        `api_latency_bucket{le="100"} ${requests}`,
        `api_latency_bucket{le="+Inf"} ${requests}`,
        '',
      ].join('\n');
    },
  );
  const port = (server: Server) => (server.address() as AddressInfo).port;

  const lagGroup = uniqueName('lagging');
  const registryDir = seedRegistry();
  const config = parseConfig({
    MODEL_REGISTRY_DIR: registryDir,
    ...securityEnv(),
    KAFKA_BROKERS: s.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: s.SCHEMA_REGISTRY_URL,
    CLICKHOUSE_URL: s.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: database,
    SERVICE_NAME: name,
    LOG_LEVEL: 'silent',
    CONSOLE_PORT: '0',
    CONSOLE_SAMPLE_INTERVAL: '250ms',
    CONSOLE_LIVE_WINDOW: '1m',
    CONSOLE_SERVICES: `features=http://127.0.0.1:${port(ready)},scorer=http://127.0.0.1:${port(notReady)},decision=http://127.0.0.1:1,api=http://127.0.0.1:${port(api)}`,
    CONSOLE_SERVICES_TOKEN: principals.only.read,
    HTTP_AUTH_TOKENS: principals.env,
    CONSOLE_GROUPS: lagGroup,
    CONSOLE_TRANSACTIONS_TOPIC: topics.transactions,
    CONSOLE_ENRICHED_TOPIC: topics.enriched,
    CONSOLE_SCORES_TOPIC: topics.scores,
    CONSOLE_DECISIONS_TOPIC: topics.decisions,
    CONSOLE_LABELS_TOPIC: topics.labels,
    PII_TOKEN_KEYS: CONSOLE_TEST_KEYS,
  });
  const logger = createLogger(name, 'silent');
  const serde = createAvroSerde(createRegistryClient(s.SCHEMA_REGISTRY_URL));
  const clickhouse = createClickHouse(s, database);
  // startConsole applies the migrations (creating the database) before anything is seeded.
  const running = await startConsole({ config, kafka, serde, clickhouse, logger });
  const events = seededEvents(name);
  await seed(clickhouse, events);
  await seedShadowAndLabels(clickhouse, events);
  await seedMonitor(clickhouse);
  await seedExperiments(clickhouse);
  await running.rollup.run();

  const traffic = async (n: number) => {
    const now = Date.now();
    const messages = (delay: number) =>
      Array.from({ length: n }, (_, i) => ({
        key: `C${i}`,
        value: Buffer.from('x'),
        headers: { [INGEST_TIME_HEADER]: String(now - delay) },
      }));
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: topics.transactions, messages: messages(0) },
        { topic: topics.enriched, messages: messages(15) },
        { topic: topics.scores, messages: messages(30) },
        { topic: topics.decisions, messages: messages(60) },
      ],
    });
    consumed += n;
  };

  // A group that committed the start of partition 0 and stopped: everything after is its lag.
  await traffic(6);
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({
    groupId: lagGroup,
    topic: topics.transactions,
    partitions: [{ partition: 0, offset: '0' }],
  });
  await admin.disconnect();

  const labels = async (): Promise<Label[]> => {
    const consumer = kafka.consumer({ groupId: uniqueName('labels-reader') });
    const decoder = serde.decoder<Label>(schemaFor('fraud/label').type);
    const found: Label[] = [];
    const adminForEnds = kafka.admin();
    await adminForEnds.connect();
    const total = (await adminForEnds.fetchTopicOffsets(topics.labels)).reduce((sum, p) => sum + Number(p.high), 0);
    await adminForEnds.disconnect();
    if (total === 0) return [];
    await consumer.connect();
    await consumer.subscribe({ topic: topics.labels, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      setTimeout(() => reject(new Error(`read ${found.length} of ${total} labels in 15 s`)), 15_000).unref();
      void consumer.run({
        eachBatch: async ({ batch }) => {
          await decoder.prepare(batch.messages.map((m) => m.value));
          for (const m of batch.messages) found.push(decoder.decode(m.value));
          if (found.length >= total) resolve();
        },
      });
    });
    await consumer.disconnect();
    return found;
  };

  return {
    url: `http://127.0.0.1:${running.port}`,
    principals,
    console: running,
    kafka,
    serde,
    clickhouse,
    topics,
    lagGroup,
    events,
    traffic,
    labels,
    registryDir,
    aliases: () => JSON.parse(readFileSync(join(registryDir, 'aliases.json'), 'utf8')) as AliasFile,
    stop: async () => {
      await running.stop();
      await producer.disconnect();
      for (const server of [ready, notReady, api]) await new Promise((r) => server.close(r));
      await clickhouse.command({ query: sql`DROP DATABASE IF EXISTS ${identifier(database)}` });
      await clickhouse.close();
      rmSync(registryDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${what} did not happen within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}
