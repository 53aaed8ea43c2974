import { fraudFeatureSet } from '@pipeline/feature-sets';
import { auditedRegistry, openRegistry } from '@pipeline/scorer';
import {
  type AvroSerde,
  auditSink,
  type ClickHouseClient,
  configAudit,
  createProducer,
  errorMessage,
  type Kafka,
  type Logger,
  migrate,
  type RouteSpec,
  recordAudit,
  startRetention,
} from '@pipeline/shared';
import { type Label, schemaFor, valueSubject } from '@pipeline/topology';
import type { ConsoleConfig } from './config.js';
import { createDecisionStore } from './decisions/store.js';
import { UnavailableError } from './errors.js';
import { createExperimentsStore } from './experiments/store.js';
import { type ConsoleServer, startConsoleServer } from './http/server.js';
import { lazily } from './lazy.js';
import { readDeadLetters } from './live/dead-letters.js';
import { startHopProbe } from './live/hop-probe.js';
import { readKafka } from './live/kafka-watch.js';
import { createLiveSampler, type LiveSampler } from './live/sampler.js';
import { readServices } from './live/services-watch.js';
import { createModelRollup, type ModelRollup } from './models/rollup.js';
import { createModelTrafficStore } from './models/store.js';
import { createMonitoringStore } from './monitoring/store.js';
import { insertReview } from './review/reviews-table.js';
import { startRuleAudit } from './rules/audit.js';

/** The built browser application, beside this module's package (`npm run build` writes it). */
export const webDir = new URL('../dist/web/', import.meta.url);

/** How often the rule file is read for a change to audit: a few hundred bytes. */
const RULES_AUDIT_INTERVAL_MS = 5_000;

/** The console's own tables (migrations 0006 and 0007), all partitioned by month. */
const CONSOLE_TABLES = ['console_reviews', 'console_review_queue', 'console_model_hours', 'console_agreement_hours'];

export interface RunningConsole {
  readonly port: number;
  /** Every endpoint of the web server with the access it needs. */
  readonly routes: readonly RouteSpec[];
  readonly live: LiveSampler;
  /** The models page's hourly rollup: `run()` brings it up to date now. */
  readonly rollup: ModelRollup;
  stop(): Promise<void>;
}

/**
 * Starts everything the console runs: the live sampler (Kafka admin, the hop latency consumer, the
 * services' health and metrics, dead letters from ClickHouse), the label producer of the review
 * queue, and the web server. ClickHouse migrations are applied first; ClickHouse down at start only
 * leaves the pages that need it answering 503 until it is back (the migrations are retried).
 */
export async function startConsole(options: {
  config: ConsoleConfig;
  kafka: Kafka;
  serde: AvroSerde;
  clickhouse: ClickHouseClient;
  logger: Logger;
}): Promise<RunningConsole> {
  const { config, kafka, serde, clickhouse, logger } = options;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => logger.warn({ err: error }, 'stop failed'));
  };
  try {
    let migrated = false;
    const rollup = createModelRollup({ client: clickhouse, intervalMs: config.CONSOLE_ROLLUP_INTERVAL, logger });
    stops.push(async () => rollup.stop());
    let migrationTimer: NodeJS.Timeout | undefined;
    const applyMigrations = async (): Promise<void> => {
      try {
        await migrate({ url: config, database: config.CLICKHOUSE_DATABASE, logger });
        rollup.start();
        const retention = startRetention({
          client: clickhouse,
          tables: CONSOLE_TABLES,
          days: config.CONSOLE_RETENTION_DAYS,
          intervalMs: config.CONSOLE_RETENTION_INTERVAL,
          logger,
        });
        stops.push(async () => retention.stop());
        migrated = true;
        const { tokenizer: _, ...settings } = config;
        await recordAudit(clickhouse, configAudit(config.SERVICE_NAME, settings)).catch((error) =>
          logger.warn({ err: error }, 'configuration not recorded in audit_log'),
        );
        const rulesAudit = startRuleAudit({
          file: config.CONSOLE_RULES_FILE,
          clickhouse,
          featureSet: fraudFeatureSet,
          service: config.SERVICE_NAME,
          intervalMs: RULES_AUDIT_INTERVAL_MS,
          logger,
        });
        stops.push(async () => rulesAudit.stop());
        await rulesAudit.check();
      } catch (error) {
        logger.warn({ err: error }, 'ClickHouse migrations not applied; retrying in 10 s');
        migrationTimer = setTimeout(() => void applyMigrations(), 10_000);
      }
    };
    await applyMigrations();
    stops.push(async () => clearTimeout(migrationTimer));

    // Kafka and the registry are connected to on first use (and again after a failure), so a server
    // that is down at start shows on the page instead of stopping the console.
    const admin = kafka.admin();
    const connectedAdmin = lazily(async () => {
      await admin.connect();
      return admin;
    });
    stops.push(() => admin.disconnect());

    const hops = [
      { name: 'features', topic: config.CONSOLE_ENRICHED_TOPIC },
      { name: 'scorer', topic: config.CONSOLE_SCORES_TOPIC },
      { name: 'decision', topic: config.CONSOLE_DECISIONS_TOPIC },
    ];
    const probe = await startHopProbe({
      kafka,
      listTopics: async () => (await connectedAdmin()).listTopics(),
      hops,
      windowMs: config.CONSOLE_LIVE_WINDOW,
      groupPrefix: `${config.SERVICE_NAME}.latency`,
      logger,
    });
    stops.push(() => probe.stop());

    const live = createLiveSampler({
      sources: {
        readKafka: async () =>
          readKafka(
            await connectedAdmin(),
            [config.CONSOLE_TRANSACTIONS_TOPIC, config.CONSOLE_DECISIONS_TOPIC],
            config.CONSOLE_GROUPS,
          ),
        readServices: () => readServices(config.CONSOLE_SERVICES, config.CONSOLE_SERVICES_TOKEN),
        readDeadLetters: (sinceMs) => readDeadLetters(clickhouse, sinceMs),
        latency: probe,
      },
      hops,
      topics: { transactions: config.CONSOLE_TRANSACTIONS_TOPIC, decisions: config.CONSOLE_DECISIONS_TOPIC },
      windowMs: config.CONSOLE_LIVE_WINDOW,
      intervalMs: config.CONSOLE_SAMPLE_INTERVAL,
    });
    live.start();
    stops.push(async () => live.stop());

    const producer = createProducer(kafka);
    stops.push(() => producer.disconnect());
    const labelEncoder = lazily(async () => {
      await producer.connect();
      return serde.encoder<Label>(valueSubject(config.CONSOLE_LABELS_TOPIC), schemaFor('fraud/label').type);
    });

    const decisions = createDecisionStore(clickhouse, fraudFeatureSet);
    const server: ConsoleServer = await startConsoleServer({
      port: config.CONSOLE_PORT,
      host: config.CONSOLE_HOST,
      webDir,
      auth: {
        tokens: config.HTTP_AUTH_TOKENS,
        sessionTtlMs: config.CONSOLE_SESSION_TTL,
        secureCookie: config.CONSOLE_SECURE_COOKIE,
      },
      live,
      decisions,
      rulesFile: config.CONSOLE_RULES_FILE,
      models: {
        // Promotions and rollbacks from the page land in audit_log too, with who and why.
        registry: auditedRegistry(openRegistry(config), auditSink(clickhouse), config.SERVICE_NAME),
        traffic: createModelTrafficStore(clickhouse, () => decisions.newest()),
        served: { name: fraudFeatureSet.name, version: fraudFeatureSet.version },
      },
      monitoring: createMonitoringStore(clickhouse),
      experiments: createExperimentsStore(clickhouse),
      tokenizer: config.tokenizer,
      review: {
        publish: async (label) => {
          try {
            const encoder = await labelEncoder();
            await producer.send({
              topic: config.CONSOLE_LABELS_TOPIC,
              acks: -1,
              messages: [{ key: label.customer_id, value: encoder.encode(label) }],
            });
          } catch (error) {
            throw new UnavailableError(
              `the label was not published (Kafka or the schema registry: ${errorMessage(error)})`,
              error,
            );
          }
        },
        record: async (row) => {
          if (!migrated)
            throw new UnavailableError('the console_reviews table is not there yet (ClickHouse migrations pending)');
          try {
            // The audit first: a label published is a review audited, even should the record fail.
            await recordAudit(clickhouse, {
              actor: row.reviewer,
              action: 'review',
              subject: row.event_id,
              reason: '',
              service: config.SERVICE_NAME,
              details: { is_fraud: row.is_fraud, customer: row.customer_id, label_time_ms: row.label_time_ms },
              atMs: row.reviewed_at_ms,
            });
            await insertReview(clickhouse, row);
          } catch (error) {
            throw new UnavailableError(
              `the label was published but the review was not recorded (ClickHouse: ${errorMessage(error)})`,
              error,
            );
          }
        },
      },
      logger,
    });
    stops.push(() => server.close());
    return { port: server.port, routes: server.routes, live, rollup, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
