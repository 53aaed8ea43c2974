import { customerKeysPattern } from '@pipeline/decision';
import { entityKeysPattern } from '@pipeline/features';
import {
  type AuditSink,
  type ClickHouseClient,
  deleteMatching,
  type RedisClient,
  type Tokenizer,
} from '@pipeline/shared';
import type { TopicDeclaration } from '@pipeline/topology';
import {
  columnsSql,
  countSql,
  deleteSql,
  erasureTargets,
  eventIdsSql,
  kafkaRemainder,
  pendingMutationsSql,
  type Target,
  tablesSql,
  withEngines,
} from './plan.js';

export interface ErasureRequest {
  /** The raw customer (card) id, as the producers publish it. */
  customerId: string;
  actor: string;
  reason: string;
}

export interface ErasureDeps {
  clickhouse: ClickHouseClient;
  redis: RedisClient;
  tokenizer: Tokenizer;
  /** The feature service's FEATURES_KEY_PREFIX and the decision engine's DECISION_REDIS_PREFIX. */
  prefixes: { features: string; decision: string };
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
  tokens: string[];
  redisKeys: { features: number; decision: number };
  /** Rows found per table before, and left after the mutations finished (0 when erased). */
  clickhouse: { table: string; column: string; before: number; after: number }[];
  kafka: string[];
  complete: boolean;
}

/**
 * Erases one customer: every Redis key the feature service and the decision engine keep for it (keyed
 * by the raw id), every ClickHouse row holding its token under any key of the ring (and rows of
 * tables without a customer column that hold its events' ids), waiting for the mutations to finish
 * and counting again; then records the erasure in audit_log. What stays on Kafka until retention is
 * reported, not deleted (a topic cannot delete one key's messages).
 */
export async function eraseCustomer(request: ErasureRequest, deps: ErasureDeps): Promise<ErasureSummary> {
  const say = deps.progress ?? (() => {});
  const { clickhouse } = deps;
  const rows = async <T>(query: string) => (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
  const count = async (target: Target, values: readonly string[]) =>
    values.length === 0 ? 0 : Number((await rows<{ n: string }>(countSql(target, values)))[0]?.n ?? 0);

  const tokens = deps.tokenizer.tokensFor('customer', request.customerId);
  say(`customer tokens under keys ${deps.tokenizer.keyIds.join(', ')}: ${tokens.join(', ')}`);

  const features = await deleteMatching(
    deps.redis,
    entityKeysPattern(deps.prefixes.features, 'customer', request.customerId),
  );
  const decision = await deleteMatching(deps.redis, customerKeysPattern(deps.prefixes.decision, request.customerId));
  say(`Redis: ${features} feature keys and ${decision} decision keys removed`);

  const targets = erasureTargets(
    withEngines(
      await rows<{ table: string; name: string }>(columnsSql()),
      await rows<{ name: string; engine: string }>(tablesSql()),
    ),
  );
  // The customer's event ids first, from every table that holds them beside the token: tables that
  // hold event ids alone (batch scores) are erased by them.
  const eventIds = new Set<string>();
  for (const source of targets.eventSources) {
    for (const r of await rows<{ id: string }>(eventIdsSql(source.table, source.column, tokens))) eventIds.add(r.id);
  }
  const ids = [...eventIds];
  const plan = [
    ...targets.byCustomer.map((t) => ({ target: t, values: tokens })),
    ...targets.byEvent.map((t) => ({ target: t, values: ids })),
  ];
  const found: ErasureSummary['clickhouse'] = [];
  for (const { target, values } of plan) {
    const before = await count(target, values);
    found.push({ ...target, before, after: before });
    if (before === 0) continue;
    await clickhouse.command({ query: deleteSql(target, values) });
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
    f.after = await count(f, f.column === 'customer_id' || f.column === 'original_key' ? tokens : ids);
  }

  const kafka = kafkaRemainder(deps.topics);
  const summary: ErasureSummary = {
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
    `  Redis: ${s.redisKeys.features} feature-state keys, ${s.redisKeys.decision} decision keys removed`,
    `  ClickHouse: ${erased.reduce((n, f) => n + f.before, 0)} rows in ${new Set(erased.map((f) => f.table)).size} tables removed`,
    ...erased.map((f) => `    ${f.table}.${f.column}: ${f.before} removed${f.after > 0 ? `, ${f.after} LEFT` : ''}`),
    '  Kafka (not erasable per key; what remains until retention ends):',
    ...s.kafka.map((k) => `    ${k}`),
    '  Recorded in audit_log (action erasure), naming the customer by token only.',
  ];
  return lines.join('\n');
}
