import { fileURLToPath } from 'node:url';
import { checkRegistryConfig, defaultRegistryDir, modelRegistryVars } from '@pipeline/scorer';
import {
  ConfigError,
  clickhouseVars,
  env,
  kafkaSecurityVars,
  kafkaVars,
  parseEnv,
  piiVars,
  schemaRegistryVars,
  serviceVars,
  withKeyRing,
} from '@pipeline/shared';
import { fraudTopics } from '@pipeline/topology';
import { z } from 'zod';

/** One service the console watches: its name and the base URL of its health server. */
export interface WatchedService {
  name: string;
  url: string;
}

/**
 * `name=url,name=url`: the services whose `/health/ready` and `/metrics` the console reads (each
 * service's HTTP_PORT). Empty: none.
 */
export function parseServiceList(value: string): WatchedService[] | string {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  const services: WatchedService[] = [];
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const name = at > 0 ? entry.slice(0, at).trim() : '';
    const url =
      at > 0
        ? entry
            .slice(at + 1)
            .trim()
            .replace(/\/+$/, '')
        : '';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return `'${entry}' is not name=url`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `'${entry}': '${url}' is not a URL`;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `'${entry}': not an http or https URL`;
    if (services.some((s) => s.name === name)) return `service '${name}' is named twice`;
    services.push({ name, url });
  }
  return services;
}

const serviceList = () =>
  z.string().transform((value, ctx) => {
    const parsed = parseServiceList(value);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return parsed;
  });

/** Comma-separated names (consumer groups): at least one. */
const nameList = () =>
  env.string().transform((value) =>
    value
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g.length > 0),
  );

/** The decision engine's rule file in this repository (DECISION_RULES_FILE's default). */
export const defaultRulesFile = fileURLToPath(new URL('../../decision/rules/fraud.yaml', import.meta.url));

/** Every variable the console reads; parsed once at start, a bad one names itself. */
export const consoleVars = {
  ...serviceVars,
  SERVICE_NAME: env.string().default('console'),
  KAFKA_BROKERS: kafkaVars.KAFKA_BROKERS,
  ...kafkaSecurityVars,
  ...schemaRegistryVars,
  ...clickhouseVars,
  /** The sink's key ring: the customer search tokenizes a raw id under every key (docs/security.md). */
  ...piiVars,
  /** The web application's port (HTTP_PORT stays health and metrics, as in every service). */
  CONSOLE_PORT: env.port().default(8080),
  /** Address the web application listens on. */
  CONSOLE_HOST: env.string().default('127.0.0.1'),
  /** `name=url,...`: each watched service's health server (its HTTP_PORT). */
  CONSOLE_SERVICES: serviceList().default([]),
  /**
   * The bearer token the console sends those services (a principal with the `read` role in their
   * HTTP_AUTH_TOKENS). Required when CONSOLE_SERVICES names any.
   */
  CONSOLE_SERVICES_TOKEN: env.string().optional(),
  /** How long a browser stays signed in. */
  CONSOLE_SESSION_TTL: env.duration().default(12 * 3_600_000),
  /** `true`: the session cookie is marked Secure (sent over HTTPS only); for a console behind TLS. */
  CONSOLE_SECURE_COOKIE: env.flag().default(false),
  /** The consumer groups whose lag is shown, per topic and partition. */
  CONSOLE_GROUPS: nameList().default([
    'features',
    'features.labels',
    'scorer',
    'decision',
    'decision.scores',
    'sink',
    // the recommendation use case's (a group with no commits shows nothing)
    'features.recsys',
    'scorer.recsys',
    'decision.recsys',
    'decision.recsys.scores',
  ]),
  CONSOLE_TRANSACTIONS_TOPIC: env.string().default(fraudTopics.transactions.name),
  CONSOLE_ENRICHED_TOPIC: env.string().default(fraudTopics.enriched.name),
  CONSOLE_SCORES_TOPIC: env.string().default(fraudTopics.scores.name),
  CONSOLE_DECISIONS_TOPIC: env.string().default(fraudTopics.decisions.name),
  /** Where a review publishes its label. */
  CONSOLE_LABELS_TOPIC: env.string().default(fraudTopics.labels.name),
  /** The rule file the decision engine applies (its DECISION_RULES_FILE), shown on the rules page. */
  CONSOLE_RULES_FILE: env.string().default(defaultRulesFile),
  /** The model registry the models page reads and promotes in: the scorer's (MODEL_REGISTRY, its directory or MLflow). */
  ...modelRegistryVars(defaultRegistryDir),
  /** How often the live page's figures are gathered and pushed. */
  CONSOLE_SAMPLE_INTERVAL: env
    .duration()
    .refine((ms) => ms >= 200, { message: 'must be at least 200ms' })
    .default(1_000),
  /** How often the models page's hourly rollup looks for changed days and rebuilds them. */
  CONSOLE_ROLLUP_INTERVAL: env
    .duration()
    .refine((ms) => ms >= 1_000, { message: 'must be at least 1s' })
    .default(15_000),
  /** The console's own tables keep this many days of event time (as the sink's SINK_RETENTION_DAYS). */
  CONSOLE_RETENTION_DAYS: env.positiveInt().default(400),
  /** How often their retention runs. */
  CONSOLE_RETENTION_INTERVAL: env.duration().default(3_600_000),
  /** How far back the live charts and the latency percentiles reach. */
  CONSOLE_LIVE_WINDOW: env
    .duration()
    .refine((ms) => ms >= 10_000 && ms <= 3_600_000, { message: 'must be between 10s and 1h' })
    .default(300_000),
};

export type ConsoleConfig = ReturnType<typeof parseConfig>;

/**
 * The configuration, and the tokenizer of PII_TOKEN_KEYS (the sink's ring): the customer search takes
 * a raw id and looks for its token under every key (docs/security.md).
 */
export function parseConfig(source: Record<string, string | undefined> = process.env) {
  const { config, tokenizer } = withKeyRing(() => checkRegistryConfig(parseEnv(consoleVars, source)), source);
  if (config.CONSOLE_SERVICES.length > 0 && config.CONSOLE_SERVICES_TOKEN === undefined) {
    throw new ConfigError(
      ['CONSOLE_SERVICES_TOKEN'],
      'invalid configuration:\n  CONSOLE_SERVICES_TOKEN is not set: the services in CONSOLE_SERVICES answer only with a token (the read role)',
    );
  }
  return { ...config, tokenizer };
}
