/** One topic, declared once: code creates it from this, docs render it, services read names from it. */
export interface TopicDeclaration {
  readonly name: string;
  readonly partitions: number;
  /** What the message key holds; keying by the entity keeps its events ordered. */
  readonly key: string;
  /** Schema file under schemas/, without `.avsc`. The value subject is `<name>-value`. */
  readonly valueSchema: string;
  readonly cleanup: 'delete' | 'compact';
  /** For `delete` topics. */
  readonly retentionMs?: number;
  readonly producers: readonly string[];
  readonly consumers: readonly string[];
  readonly description: string;
  /**
   * What a new value schema must keep, checked by the registry. FULL_TRANSITIVE where producers or
   * consumers are outside the pipeline (they upgrade on their own: every version must read and be
   * read by every other); BACKWARD between the pipeline's own services (consumers upgrade first).
   */
  readonly compatibility: SchemaCompatibility;
}

export type SchemaCompatibility = 'BACKWARD' | 'FULL_TRANSITIVE';

const DAY_MS = 24 * 60 * 60 * 1000;

const DURATION = /^(\d+)(h|d)$/;

/** Validates a declaration when it is made, so a typo fails at import, not at topic creation. */
export function topic(
  declaration: Omit<TopicDeclaration, 'retentionMs' | 'cleanup' | 'compatibility'> & {
    retention?: `${number}d` | `${number}h`;
    cleanup?: 'delete' | 'compact';
    compatibility?: SchemaCompatibility;
  },
): TopicDeclaration {
  const { retention, cleanup = 'delete', compatibility = 'BACKWARD', ...rest } = declaration;
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(rest.name))
    throw new Error(`topic name '${rest.name}' is not a valid Kafka topic name`);
  if (!Number.isInteger(rest.partitions) || rest.partitions < 1) {
    throw new Error(`topic ${rest.name}: partitions must be a positive integer, got ${rest.partitions}`);
  }
  let retentionMs: number | undefined;
  if (retention !== undefined) {
    const match = DURATION.exec(retention);
    if (!match) throw new Error(`topic ${rest.name}: retention '${retention}' is not like 7d or 12h`);
    retentionMs = Number(match[1]) * (match[2] === 'd' ? DAY_MS : DAY_MS / 24);
  }
  if (cleanup === 'compact' && retentionMs !== undefined) {
    throw new Error(`topic ${rest.name}: a compacted topic takes no retention`);
  }
  return Object.freeze({ ...rest, cleanup, compatibility, ...(retentionMs === undefined ? {} : { retentionMs }) });
}

export function valueSubject(topicName: string): string {
  return `${topicName}-value`;
}
