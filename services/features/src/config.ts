import {
  env,
  kafkaVars,
  PII_KEYS_VAR,
  parseEnv,
  redisVars,
  schemaRegistryVars,
  serviceVars,
  type Tokenizer,
  withKeyRing,
} from '@pipeline/shared';
import { fraudTopics, pipelineTopics, recsysTopics } from '@pipeline/topology';
import { DEFAULT_PROBE_RETENTION_MS } from './declared.js';
import { DEFAULT_PREFIX } from './keys.js';

/**
 * The use cases a process serves: each has its own consumer group(s) and topics, and they share the
 * Redis prefix (their keys' hash tags differ) and the dead-letter topic. Run both in one process,
 * or one per instance.
 */
export const USE_CASES = ['fraud', 'recsys'] as const;
export type UseCase = (typeof USE_CASES)[number];

/** Every variable the feature service reads; parsed once at start (a bad one stops it, named). */
export const featuresVars = {
  ...serviceVars,
  ...kafkaVars,
  /**
   * A fetch answers on its first byte: waiting up to KAFKA_FETCH_MAX_WAIT for 64 KiB cost every
   * event that wait, and the alignment's confirming fetch (FEATURES_ALIGN_CONFIRM) a second one.
   * Under load the batches grow by themselves, with the records that arrive while one is handled.
   */
  KAFKA_FETCH_MIN_BYTES: env.positiveInt().default(1),
  ...schemaRegistryVars,
  ...redisVars,
  /** Events this far behind their partition's watermark are still applied; older ones are dead-lettered. */
  FEATURES_ALLOWED_LATENESS: env.duration().default(5 * 60_000),
  /** Event times beyond max(wall clock, watermark) plus this are refused as being in the future. */
  FEATURES_MAX_FUTURE: env.duration().default(60 * 60_000),
  /** Amounts above this many minor units are refused as absurd. */
  FEATURES_MAX_AMOUNT_MINOR: env.positiveInt().default(100_000_000),
  /**
   * How long (event time) the vector of an event is kept so that a redelivery gets it back exactly;
   * at most (and by default) as long as event ids are kept (the longest window plus a bucket). A
   * shorter value saves memory but is safe only if no uncommitted batch spans more event time
   * (catch-up and replay batches span days): an older redelivery is dead-lettered.
   */
  FEATURES_OUTPUT_RETENTION: env.duration().default(Number.MAX_SAFE_INTEGER),
  /**
   * How long (wall clock) a request's candidate vectors are kept so that a redelivery gets them back
   * exactly (each candidate's read of every declared entity, about 36 bytes each); after it, a
   * redelivered request is read again from the state as it is then. Covers a restart or a
   * rebalance; at least a second.
   */
  FEATURES_PROBE_RETENTION: env
    .duration()
    .refine((ms) => ms >= 1000, 'must be at least 1s')
    .default(DEFAULT_PROBE_RETENTION_MS),
  /** Port of the online read API (GET /features/<entity>/<id>); 0 picks a free port. */
  FEATURES_API_PORT: env.port().default(0),
  /** Prefix of every Redis key: separates deployments (and tests) sharing one Redis. */
  FEATURES_KEY_PREFIX: env
    .string()
    .regex(/^[^{}\s]*$/, 'must not contain braces or whitespace')
    .default(DEFAULT_PREFIX),
  /** Consumer group of the transactions; the labels are read by the group `<this>.labels`. */
  FEATURES_GROUP_ID: env.string().default('features'),
  /**
   * Longest a transaction batch waits for the labels before its events to be applied (a labels
   * consumer that is down or far behind); then it goes on without them, counted and logged.
   */
  FEATURES_LABELS_MAX_WAIT: env.duration().default(60_000),
  /**
   * Transactions of all partitions are applied in event-time order; a partition with data on the
   * broker and none fetched holds the others back for at most this long (then it is passed over,
   * counted and logged, until it delivers again). Live traffic keeps partitions caught up: this never applies.
   */
  FEATURES_ALIGN_MAX_WAIT: env.duration().default(1000),
  /**
   * A partition found caught up stops holding the others' records back only once a later fetch
   * confirms it (alignment.ts): exact on a replay whose producer publishes in event-time order, for
   * about one fetch of latency per event. false: caught up at the last fetch is enough.
   */
  FEATURES_ALIGN_CONFIRM: env.boolean().default(true),
  /**
   * Batches of a fetch handed to the handler at once: it checks them and buffers them for the
   * event-time merge, so this many partitions' records join the same round.
   */
  FEATURES_PARTITIONS_CONCURRENTLY: env.positiveInt().default(6),
  /** Comma-separated use cases this process serves (USE_CASES), e.g. `fraud,recsys`. */
  FEATURES_USE_CASES: env
    .string()
    .transform((value, ctx) => {
      const listed = [...new Set(value.split(',').map((v) => v.trim()))];
      const unknown = listed.filter((v) => !(USE_CASES as readonly string[]).includes(v));
      // with an issue added, the value returned is not used
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown use case ${unknown.join(', ')}: one of ${USE_CASES.join(', ')}`,
        });
      }
      return listed as UseCase[];
    })
    .default(['fraud']),
  /** Consumer group of the recommendation streams (interactions and requests, one group). */
  FEATURES_RECSYS_GROUP_ID: env.string().default('features.recsys'),
  /** Most candidates a request may list; more are dead-lettered (each costs a read per declared entity). */
  FEATURES_MAX_CANDIDATES: env.positiveInt().default(1000),
  FEATURES_TRANSACTIONS_TOPIC: env.string().default(fraudTopics.transactions.name),
  FEATURES_LABELS_TOPIC: env.string().default(fraudTopics.labels.name),
  FEATURES_ENRICHED_TOPIC: env.string().default(fraudTopics.enriched.name),
  FEATURES_INTERACTIONS_TOPIC: env.string().default(recsysTopics.interactions.name),
  FEATURES_REQUESTS_TOPIC: env.string().default(recsysTopics.requests.name),
  FEATURES_ENRICHED_REQUESTS_TOPIC: env.string().default(recsysTopics.enrichedRequests.name),
  FEATURES_DEAD_LETTER_TOPIC: env.string().default(pipelineTopics.deadLetters.name),
  /**
   * The sink's key ring (docs/security.md): with it, each terminal's token is mapped to its raw id,
   * so a console label (which names the terminal by token) counts like one naming the raw id.
   * Unset: no map is written, and such labels count only for the token. Parsed by parseFeaturesEnv,
   * whose messages never quote it.
   */
  [PII_KEYS_VAR]: env.string().optional(),
  /** Where the start-up configuration is audited (the sink stores it in audit_log). */
  FEATURES_AUDIT_TOPIC: env.string().default(pipelineTopics.audit.name),
};

export type FeaturesConfig = ReturnType<typeof parseFeaturesEnv>;

export function parseFeaturesEnv(source: Record<string, string | undefined> = process.env) {
  const ring = source[PII_KEYS_VAR];
  // The ring is parsed apart (withKeyRing): parseEnv's messages quote the value, a secret must not be.
  const parse = () => parseEnv(featuresVars, { ...source, [PII_KEYS_VAR]: undefined });
  if (ring === undefined || ring.trim() === '') return { ...parse(), tokenizer: undefined as Tokenizer | undefined };
  const { config, tokenizer } = withKeyRing(parse, source);
  return { ...config, [PII_KEYS_VAR]: ring, tokenizer: tokenizer as Tokenizer | undefined };
}

/** The labels consumer's group, derived from the transactions' group. */
export function labelsGroupOf(groupId: string): string {
  return `${groupId}.labels`;
}
