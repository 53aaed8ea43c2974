import { fileURLToPath } from 'node:url';
import type { ServerEnv } from '@pipeline/infra/env';
import { downstreamKafkaVars } from '@pipeline/shared';
import { runCredentials } from '../processes/credentials.js';
import type { RunNamespace } from './namespace.js';

/** The services on the path of every event. */
export const SERVICE_NAMES = ['features', 'scorer', 'decision', 'sink'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number] | 'monitor';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A service's compiled entry point, as deployed (`npm run build` writes it). */
export function serviceEntry(name: ServiceName): string {
  return `${root}services/${name}/dist/main.js`;
}

/**
 * The PII key ring of a run's sink and console (docs/security.md): PII_TOKEN_KEYS when the
 * environment sets it, else a fixed development ring, so a run's tables can be searched and erased
 * afterwards with the same ring. Development only: production sets its own.
 */
export const DEV_PII_TOKEN_KEYS = `dev:${'development-only-not-secret-'.repeat(2)}`;

export function runKeyRing(env: Record<string, string | undefined> = process.env): string {
  return env.PII_TOKEN_KEYS || DEV_PII_TOKEN_KEYS;
}

/**
 * Each service's environment for a run: the servers, and the run's topics, groups, key prefixes and
 * database in the variables each service documents. `tuning` adds or overrides variables.
 */
export function serviceEnv(
  name: ServiceName,
  ns: RunNamespace,
  servers: ServerEnv,
  tuning: Record<string, string> = {},
): Record<string, string> {
  const t = ns.topics;
  const own: Record<ServiceName, Record<string, string>> = {
    features: {
      // The sink's ring: a console review's label names the terminal by token (docs/security.md).
      PII_TOKEN_KEYS: runKeyRing(),
      FEATURES_GROUP_ID: `${ns.groupPrefix}features`,
      FEATURES_KEY_PREFIX: `${ns.redisPrefix}f:`,
      FEATURES_TRANSACTIONS_TOPIC: t.transactions,
      FEATURES_LABELS_TOPIC: t.labels,
      FEATURES_ENRICHED_TOPIC: t.enriched,
      FEATURES_DEAD_LETTER_TOPIC: t.deadLetters,
      FEATURES_AUDIT_TOPIC: t.audit,
    },
    scorer: {
      SCORER_GROUP_ID: `${ns.groupPrefix}scorer`,
      SCORER_ENRICHED_TOPIC: t.enriched,
      SCORER_SCORES_TOPIC: t.scores,
      SCORER_DEAD_LETTER_TOPIC: t.deadLetters,
      SCORER_AUDIT_TOPIC: t.audit,
    },
    decision: {
      DECISION_GROUP_ID: `${ns.groupPrefix}decision`,
      DECISION_REDIS_PREFIX: `${ns.redisPrefix}d:`,
      DECISION_ENRICHED_TOPIC: t.enriched,
      DECISION_SCORES_TOPIC: t.scores,
      DECISION_DECISIONS_TOPIC: t.decisions,
      DECISION_DEAD_LETTER_TOPIC: t.deadLetters,
      DECISION_AUDIT_TOPIC: t.audit,
    },
    sink: {
      PII_TOKEN_KEYS: runKeyRing(),
      SINK_GROUP_ID: `${ns.groupPrefix}sink`,
      CLICKHOUSE_DATABASE: ns.clickhouseDatabase,
      SINK_ENRICHED_TOPIC: t.enriched,
      SINK_SCORES_TOPIC: t.scores,
      SINK_DECISIONS_TOPIC: t.decisions,
      SINK_LABELS_TOPIC: t.labels,
      SINK_DEAD_LETTER_TOPIC: t.deadLetters,
      SINK_AUDIT_TOPIC: t.audit,
      SINK_TRANSACTIONS_TOPIC: t.transactions,
    },
    monitor: {
      CLICKHOUSE_DATABASE: ns.clickhouseDatabase,
      MONITOR_ALERTS_TOPIC: t.alerts,
      MONITOR_TRIGGERS_TOPIC: t.retrainingTriggers,
    },
  };
  return { ...servers, SERVICE_NAME: name, LOG_LEVEL: 'info', ...own[name], ...useCaseEnv(name, ns), ...tuning };
}

/**
 * The use cases a service serves and the recommendation topics, groups and tables, for a run that
 * carries recommendations; nothing for a fraud-only run (the services' defaults are fraud).
 */
function useCaseEnv(name: ServiceName, ns: RunNamespace): Record<string, string> {
  const r = ns.recsys;
  if (!r) return {};
  const uses = ns.useCases.join(',');
  const group = (service: string) => `${ns.groupPrefix}${service}.recsys`;
  const byService: Record<ServiceName, Record<string, string>> = {
    features: {
      FEATURES_USE_CASES: uses,
      FEATURES_RECSYS_GROUP_ID: group('features'),
      FEATURES_INTERACTIONS_TOPIC: r.interactions,
      FEATURES_REQUESTS_TOPIC: r.requests,
      FEATURES_ENRICHED_REQUESTS_TOPIC: r.enrichedRequests,
    },
    scorer: {
      SCORER_USE_CASES: uses,
      SCORER_RECSYS_GROUP_ID: group('scorer'),
      SCORER_ENRICHED_REQUESTS_TOPIC: r.enrichedRequests,
      SCORER_RECSYS_SCORES_TOPIC: r.scores,
    },
    decision: {
      DECISION_USE_CASES: uses,
      DECISION_RECSYS_GROUP_ID: group('decision'),
      DECISION_RECSYS_ENRICHED_TOPIC: r.enrichedRequests,
      DECISION_RECSYS_SCORES_TOPIC: r.scores,
      DECISION_RECSYS_RECOMMENDATIONS_TOPIC: r.recommendations,
    },
    sink: {
      SINK_USE_CASES: uses,
      SINK_INTERACTIONS_TOPIC: r.interactions,
      SINK_REQUESTS_TOPIC: r.requests,
      SINK_RECSYS_ENRICHED_TOPIC: r.enrichedRequests,
      SINK_RECSYS_SCORES_TOPIC: r.scores,
      SINK_RECOMMENDATIONS_TOPIC: r.recommendations,
      SINK_RECSYS_LABELS_TOPIC: r.labels,
    },
    monitor: {},
  };
  return byService[name];
}

/** The consumer groups a run's services join; the run waits for them before sending traffic. */
export function serviceGroups(name: ServiceName, ns: RunNamespace): string[] {
  if (name === 'monitor') return [];
  const fraud = ns.useCases.includes('fraud');
  const recsys = ns.useCases.includes('recsys');
  const group = `${ns.groupPrefix}${name}`;
  // The sink reads every use case's topics in one group; the others have a group per use case.
  if (name === 'sink') return [group];
  const of = (g: string) => (name === 'decision' ? [g, `${g}.scores`] : [g]);
  return [...(fraud ? of(group) : []), ...(recsys ? of(`${group}.recsys`) : [])];
}

/** A process of a pipeline: what to run, with which environment, and the groups it joins. */
export interface ProcessSpec {
  name: string;
  entry: string;
  env: Record<string, string>;
  groups: string[];
}

/** The pipeline's services for a run, serving the run's use cases. */
export function pipelineSpecs(
  ns: RunNamespace,
  servers: ServerEnv,
  options: {
    services?: readonly ServiceName[];
    tuning?: Partial<Record<ServiceName, Record<string, string>>>;
    /** Each service's own principal (principals.ts); without, the servers' (admin) credentials. */
    credentials?: Partial<Record<ServiceName, Record<string, string>>>;
  } = {},
): ProcessSpec[] {
  return (options.services ?? SERVICE_NAMES).map((name) => ({
    name,
    entry: serviceEntry(name),
    env: { ...serviceEnv(name, ns, servers, options.tuning?.[name]), ...options.credentials?.[name] },
    groups: serviceGroups(name, ns),
  }));
}

/**
 * The console for a run: the run's topics, groups and database, each watched service's health server
 * (its port), and its web application on `port`. `tuning` adds or overrides variables (the run's
 * MODEL_REGISTRY_DIR).
 */
export function consoleSpec(
  ns: RunNamespace,
  servers: ServerEnv,
  watched: readonly { name: string; port: number }[],
  port: number,
  tuning: Record<string, string> = {},
): ProcessSpec {
  const t = ns.topics;
  // every group the run's services join (each use case's), and the features' labels group with fraud
  const groups = SERVICE_NAMES.flatMap((name) => serviceGroups(name, ns));
  if (ns.useCases.includes('fraud')) groups.splice(1, 0, `${ns.groupPrefix}features.labels`);
  return {
    name: 'console',
    entry: `${root}services/console/dist/main.js`,
    env: {
      ...servers,
      SERVICE_NAME: 'console',
      LOG_LEVEL: 'info',
      CLICKHOUSE_DATABASE: ns.clickhouseDatabase,
      PII_TOKEN_KEYS: runKeyRing(),
      CONSOLE_PORT: String(port),
      CONSOLE_SERVICES: watched.map((s) => `${s.name}=http://127.0.0.1:${s.port}`).join(','),
      CONSOLE_SERVICES_TOKEN: runCredentials().token,
      CONSOLE_GROUPS: groups.join(','),
      CONSOLE_TRANSACTIONS_TOPIC: t.transactions,
      CONSOLE_ENRICHED_TOPIC: t.enriched,
      CONSOLE_SCORES_TOPIC: t.scores,
      CONSOLE_DECISIONS_TOPIC: t.decisions,
      CONSOLE_LABELS_TOPIC: t.labels,
      ...tuning,
    },
    groups: [],
  };
}

/** The scorer's and decision engine's fetch defaults (`downstreamKafkaVars`), for the relays in their place. */
const DOWNSTREAM_FETCH = {
  KAFKA_FETCH_MIN_BYTES: String(downstreamKafkaVars.KAFKA_FETCH_MIN_BYTES.parse(undefined)),
  KAFKA_FETCH_MAX_WAIT: `${downstreamKafkaVars.KAFKA_FETCH_MAX_WAIT.parse(undefined)}ms`,
};

/**
 * The identity pipeline for a run: three relays, transactions → enriched → scores → decisions, the
 * same hops and topics the events of the fraud pipeline cross on their way to a decision.
 */
export function identitySpecs(
  ns: RunNamespace,
  servers: ServerEnv,
  tuning: Record<string, string> = {},
): ProcessSpec[] {
  const t = ns.topics;
  const hops: [string, string][] = [
    [t.transactions, t.enriched],
    [t.enriched, t.scores],
    [t.scores, t.decisions],
  ];
  return hops.map(([from, to], i) => {
    const name = `relay${i + 1}`;
    const group = `${ns.groupPrefix}${name}`;
    return {
      name,
      entry: `${root}e2e/dist/identity/main.js`,
      env: {
        ...servers,
        SERVICE_NAME: name,
        LOG_LEVEL: 'info',
        RELAY_FROM: from,
        RELAY_TO: to,
        RELAY_GROUP_ID: group,
        RELAY_DEAD_LETTER_TOPIC: t.deadLetters,
        // Fetched like the hop it stands for: the first as the feature service, the others as the
        // scorer and the decision engine, whose input comes in the upstream's batches.
        ...(i > 0 ? DOWNSTREAM_FETCH : {}),
        ...tuning,
      },
      groups: [group],
    };
  });
}
