import { fraudTopics, monitorTopics, pipelineTopics, recsysTopics, type TopicDeclaration } from '@pipeline/topology';

/** The use cases a run can carry; fraud's topics are always there (the services' defaults read them). */
export const RUN_USE_CASES = ['fraud', 'recsys'] as const;
export type RunUseCase = (typeof RUN_USE_CASES)[number];

/** The recommendation topics of a run, when it carries recommendations. */
export interface RecsysRunTopics {
  interactions: string;
  requests: string;
  enrichedRequests: string;
  scores: string;
  recommendations: string;
  labels: string;
}

/**
 * Everything one run of the pipeline owns: its topics, consumer groups, Redis key prefixes and
 * ClickHouse database, all derived from one id, so runs never see each other's data and a run can
 * be removed whole.
 */
export interface RunNamespace {
  id: string;
  useCases: readonly RunUseCase[];
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
  /** The recommendation topics; null when the run does not carry recommendations. */
  recsys: RecsysRunTopics | null;
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

/** Every topic name of the run (what removing it deletes). */
export function runTopicNames(ns: RunNamespace): string[] {
  return ns.declarations.map((t) => t.name);
}

export function runNamespace(id: string, useCases: readonly RunUseCase[] = ['fraud']): RunNamespace {
  if (!ID.test(id))
    throw new Error(`run id "${id}" must be lower-case letters, digits and '-', starting with a letter`);
  const unknown = useCases.filter((u) => !(RUN_USE_CASES as readonly string[]).includes(u));
  if (unknown.length > 0 || useCases.length === 0)
    throw new Error(`use cases must be some of ${RUN_USE_CASES.join(', ')}, got "${useCases.join(',')}"`);
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
  const recsysDeclared = useCases.includes('recsys') ? recsysTopics : null;
  const rename = (name: string) => runTopicName(id, name);
  const renamed = <T extends Record<string, TopicDeclaration>>(d: T) =>
    Object.fromEntries(Object.entries(d).map(([key, t]) => [key, rename(t.name)])) as Record<keyof T, string>;
  return {
    id,
    useCases: [...new Set(useCases)],
    topics: renamed(declared),
    recsys: recsysDeclared ? renamed(recsysDeclared) : null,
    declarations: [...Object.values(declared), ...Object.values(recsysDeclared ?? {})].map((t) => ({
      ...t,
      name: rename(t.name),
    })),
    groupPrefix: `${id}.`,
    redisPrefix: `${id}:`,
    clickhouseDatabase: id.replace(/-/g, '_'),
  };
}
