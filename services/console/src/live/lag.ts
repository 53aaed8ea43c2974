/** What kafkajs `admin.fetchOffsets({ groupId })` answers: committed offsets per topic ('-1' none). */
export interface GroupOffsets {
  topic: string;
  partitions: { partition: number; offset: string }[];
}

/** What `admin.fetchTopicOffsets(topic)` answers, per partition. */
export interface TopicEnds {
  partition: number;
  high: string;
  low: string;
}

export interface LagRow {
  group: string;
  topic: string;
  partition: number;
  /** Next offset the group will read; null when it has committed nothing on this partition. */
  committed: number | null;
  end: number;
  /** Messages not yet consumed: end minus committed (from the log start when nothing is committed). */
  lag: number;
}

/**
 * Lag of one group on every partition of the topics it has committed offsets for. A partition with
 * no commit counts from the log start offset (what a new group with `fromBeginning` reads), so a
 * group that never committed shows everything as lag rather than nothing.
 */
export function lagRows(
  group: string,
  offsets: readonly GroupOffsets[],
  ends: ReadonlyMap<string, readonly TopicEnds[]>,
): LagRow[] {
  const rows: LagRow[] = [];
  for (const { topic, partitions } of offsets) {
    const topicEnds = ends.get(topic);
    if (!topicEnds) continue;
    // Every partition of the topic: the broker lists only those the group committed on.
    for (const end of topicEnds) {
      const offset = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
      const committed = offset >= 0 ? offset : null;
      const high = Number(end.high);
      rows.push({
        group,
        topic,
        partition: end.partition,
        committed,
        end: high,
        lag: Math.max(0, high - (committed ?? Number(end.low))),
      });
    }
  }
  return rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** Only the topics a group has ever committed on: kafkajs lists every partition of them, '-1' where none. */
export function committedTopics(offsets: readonly GroupOffsets[]): GroupOffsets[] {
  return offsets.filter((t) => t.partitions.some((p) => Number(p.offset) >= 0));
}

/** Sum of the high watermarks: every message ever appended to the topic. */
export function totalEnd(ends: readonly TopicEnds[]): number {
  return ends.reduce((sum, e) => sum + Number(e.high), 0);
}
