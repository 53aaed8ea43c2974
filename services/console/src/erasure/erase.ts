import { entityKeysPattern as decisionKeysPattern, KEY_TAGS } from '@pipeline/decision';
import type { EntityDecl } from '@pipeline/feature-sets';
import { entityKeysPattern } from '@pipeline/features';
import {
  type AuditSink,
  type ClickHouseClient,
  deleteMatching,
  execPipelined,
  type RedisClient,
  scanKeys,
  type Tokenizer,
} from '@pipeline/shared';
import type { TopicDeclaration } from '@pipeline/topology';
import {
  columnsSql,
  countSql,
  deleteSql,
  erasureTargets,
  idsSql,
  kafkaRemainder,
  pendingMutationsSql,
  SUBJECTS,
  type Subject,
  type Target,
  tablesSql,
  withEngines,
} from './plan.js';
import { requestKeys, userFeatureKeyPatterns } from './user-keys.js';

export interface ErasureRequest {
  /** A customer (fraud) or a recommendation user. */
  subject: Subject;
  /** The raw id, as the producers publish it. */
  id: string;
  actor: string;
  reason: string;
}

export interface ErasureDeps {
  clickhouse: ClickHouseClient;
  redis: RedisClient;
  tokenizer: Tokenizer;
  /** The feature service's FEATURES_KEY_PREFIX and the decision engine's DECISION_REDIS_PREFIX. */
  prefixes: { features: string; decision: string };
  /** The declared entities of the feature sets (a user's state is kept by those keyed by user_id). */
  entities: readonly EntityDecl[];
  /** The topics whose messages stay until retention (the topology's, under their deployed names). */
  topics: readonly TopicDeclaration[];
  audit: AuditSink;
  service: string;
  progress?: (line: string) => void;
  /** Between polls of the mutations. */
  pollMs?: number;
  /** Gives up waiting for the mutations after this long (they go on in ClickHouse). */
  timeoutMs?: number;
}

export interface ErasureSummary {
  subject: Subject;
  tokens: string[];
  /** Feature-state keys (and a user's request lookups), and the decision engine's keys. */
  redisKeys: { features: number; decision: number };
  /** Rows found per table before, and left after the mutations finished (0 when erased). */
  clickhouse: { table: string; column: string; before: number; after: number }[];
  kafka: string[];
  complete: boolean;
}

/**
 * Erases one customer or recommendation user: every Redis key the feature service and the decision
 * engine keep for it (keyed by the raw id; a user's per-request lookups too), every ClickHouse row
 * holding its token under any key of the ring (and, for a customer, rows of tables without a customer
 * column that hold its events' ids), waiting for the mutations to finish and counting again; then
 * records the erasure in audit_log. What stays on Kafka until retention is reported, not deleted (a
 * topic cannot delete one key's messages).
 */
export async function erase(request: ErasureRequest, deps: ErasureDeps): Promise<ErasureSummary> {
  const say = deps.progress ?? (() => {});
  const { clickhouse, redis } = deps;
  const { subject } = request;
  const tokens = deps.tokenizer.tokensFor(subject, request.id);
  say(`${subject} tokens under keys ${deps.tokenizer.keyIds.join(', ')}: ${tokens.join(', ')}`);
  const rows = async <T>(query: string) => (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
  const count = async (target: Target, values: readonly string[]) =>
    values.length === 0 ? 0 : Number((await rows<{ n: string }>(countSql(target, values)))[0]?.n ?? 0);
  const idsOf = async (sources: readonly Target[]) => {
    const ids = new Set<string>();
    for (const source of sources) {
      for (const r of await rows<{ id: string }>(idsSql(source, SUBJECTS[subject].column, tokens))) ids.add(r.id);
    }
    return [...ids];
  };

  const targets = erasureTargets(
    withEngines(
      await rows<{ table: string; name: string }>(columnsSql()),
      await rows<{ name: string; engine: string }>(tablesSql()),
    ),
    subject,
  );

  const featurePatterns =
    subject === 'customer'
      ? [entityKeysPattern(deps.prefixes.features, 'customer', request.id)]
      : userFeatureKeyPatterns(deps.prefixes.features, deps.entities, request.id);
  const decisionPattern = decisionKeysPattern(deps.prefixes.decision, KEY_TAGS[subject], request.id);
  // Read before the rows holding them are deleted: a user's request lookups are keyed by request id alone.
  const requestIds = await idsOf(targets.requestSources);
  const perRequest = requestKeys(deps.prefixes.features, requestIds);
  const lookups = requestIds.length === 0 ? [] : (await scanKeys(redis, perRequest.pattern)).filter(perRequest.isUsers);
  const plan = [...targets.bySubject, ...targets.byEvent];
  say(
    `plan: Redis keys matching ${[...featurePatterns, decisionPattern].join(', ')}` +
      (lookups.length > 0 ? ` and ${lookups.length} keys of its ${requestIds.length} requests` : '') +
      `; ClickHouse rows of ${plan.map((t) => `${t.table}.${t.column}`).join(', ')}`,
  );

  let features = 0;
  for (const pattern of featurePatterns) features += await deleteMatching(redis, pattern);
  const removed = await execPipelined(
    redis,
    lookups.map((key) => ({ key, queue: (p) => p.unlink(key) })),
  );
  features += removed.reduce<number>((n, r) => n + Number(r), 0);
  const decision = await deleteMatching(redis, decisionPattern);
  say(`Redis: ${features} feature keys and ${decision} decision keys removed`);

  // A customer's event ids first, from every table that holds them beside the token: tables that
  // hold event ids alone (batch scores) are erased by them.
  const ids = await idsOf(targets.eventSources);
  const bySubject = new Set(targets.bySubject.map((t) => `${t.table}.${t.column}`));
  const valuesOf = (t: Target) => (bySubject.has(`${t.table}.${t.column}`) ? tokens : ids);
  const found: ErasureSummary['clickhouse'] = [];
  for (const target of plan) {
    const before = await count(target, valuesOf(target));
    found.push({ ...target, before, after: before });
    if (before === 0) continue;
    await clickhouse.command({ query: deleteSql(target, valuesOf(target)) });
    say(`ClickHouse: ${target.table} (${target.column}): ${before} rows, deleting`);
  }
  const mutated = [...new Set(found.filter((f) => f.before > 0).map((f) => f.table))];
  const deadline = Date.now() + (deps.timeoutMs ?? 300_000);
  while (mutated.length > 0) {
    const pending = Number((await rows<{ n: string }>(pendingMutationsSql(mutated)))[0]?.n ?? 0);
    if (pending === 0) break;
    if (Date.now() > deadline) {
      say(`ClickHouse: ${pending} mutations still running; they go on in the server`);
      break;
    }
    say(`ClickHouse: waiting for ${pending} mutations`);
    await new Promise((resolve) => setTimeout(resolve, deps.pollMs ?? 500));
  }
  for (const f of found) {
    if (f.before === 0) continue;
    f.after = await count(f, valuesOf(f));
  }

  const kafka = kafkaRemainder(deps.topics, subject);
  const summary: ErasureSummary = {
    subject,
    tokens,
    redisKeys: { features, decision },
    clickhouse: found,
    kafka,
    complete: found.every((f) => f.after === 0),
  };
  await deps.audit({
    actor: request.actor,
    action: 'erasure',
    subject: tokens[0] as string,
    reason: request.reason,
    service: deps.service,
    details: {
      kind: subject,
      tokens,
      redis_keys: summary.redisKeys,
      clickhouse_rows: Object.fromEntries(found.filter((f) => f.before > 0).map((f) => [f.table, f.before])),
      left: Object.fromEntries(found.filter((f) => f.after > 0).map((f) => [f.table, f.after])),
      kafka,
      complete: summary.complete,
    },
  });
  say('audit_log: erasure recorded');
  return summary;
}

/** The summary for a person: what went, what is left, what stays on Kafka. */
export function describeErasure(s: ErasureSummary): string {
  const erased = s.clickhouse.filter((f) => f.before > 0);
  const lines = [
    s.complete ? 'Erasure complete.' : 'Erasure INCOMPLETE: rows are left (see below).',
    `  Redis: ${s.redisKeys.features} feature keys, ${s.redisKeys.decision} decision keys removed`,
    `  ClickHouse: ${erased.reduce((n, f) => n + f.before, 0)} rows in ${new Set(erased.map((f) => f.table)).size} tables removed`,
    ...erased.map((f) => `    ${f.table}.${f.column}: ${f.before} removed${f.after > 0 ? `, ${f.after} LEFT` : ''}`),
    '  Kafka (not erasable per key; what remains until retention ends):',
    ...s.kafka.map((k) => `    ${k}`),
    `  Recorded in audit_log (action erasure), naming the ${s.subject} by token only.`,
  ];
  return lines.join('\n');
}
