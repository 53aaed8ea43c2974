import { fraudTopics, monitorTopics, pipelineTopics, type TopicDeclaration } from '@pipeline/topology';

/**
 * Everything one run of the pipeline owns: its topics, consumer groups, Redis key prefixes and
 * ClickHouse database, all derived from one id, so runs never see each other's data and a run can
 * be removed whole.
 */
export interface RunNamespace {
  id: string;
  topics: {
    transactions: string;
    labels: string;
    enriched: string;
    scores: string;
    decisions: string;
    deadLetters: string;
    audit: string;
    alerts: string;
    retrainingTriggers: string;
  };
  /** The topics with the topology's partitions, retention and schemas, under the run's names. */
  declarations: TopicDeclaration[];
  groupPrefix: string;
  redisPrefix: string;
  clickhouseDatabase: string;
}

const ID = /^[a-z][a-z0-9-]{0,40}$/;

/** A declared topic's name in run `id`. */
export function runTopicName(id: string, declared: string): string {
  return `${id}.${declared}`;
}

export function newRunId(kind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15).toLowerCase();
  return `${kind}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export function runNamespace(id: string): RunNamespace {
  if (!ID.test(id))
    throw new Error(`run id "${id}" must be lower-case letters, digits and '-', starting with a letter`);
  const declared = {
    transactions: fraudTopics.transactions,
    labels: fraudTopics.labels,
    enriched: fraudTopics.enriched,
    scores: fraudTopics.scores,
    decisions: fraudTopics.decisions,
    deadLetters: pipelineTopics.deadLetters,
    audit: pipelineTopics.audit,
    alerts: monitorTopics.alerts,
    retrainingTriggers: monitorTopics.retrainingTriggers,
  };
  const rename = (name: string) => runTopicName(id, name);
  const topics = Object.fromEntries(
    Object.entries(declared).map(([key, t]) => [key, rename(t.name)]),
  ) as RunNamespace['topics'];
  return {
    id,
    topics,
    declarations: Object.values(declared).map((t) => ({ ...t, name: rename(t.name) })),
    groupPrefix: `${id}.`,
    redisPrefix: `${id}:`,
    clickhouseDatabase: id.replace(/-/g, '_'),
  };
}
