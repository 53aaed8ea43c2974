import type { Summary } from '@pipeline/loadtest';
import { type AvroSerde, type Kafka, readPublishTime } from '@pipeline/shared';
import type { Decision } from '@pipeline/topology';
import { readerTally, type TallyStats } from './reader-tally.js';
import { startTopicReader } from './topic-reader.js';

/** The tally's figures, its ids being events decided, and the decisions by action. */
export type DecisionStats = Omit<TallyStats, 'ids'> & {
  /** Distinct events decided. */
  events: number;
  byAction: Record<string, number>;
};

export interface DecisionsReader {
  stats(): DecisionStats;
  /** Latency of the decisions read since the last call, and how many of them were on rules alone. */
  takeWindow(): Summary & { rulesOnly: number };
  /** The events among these that have no decision yet. */
  missing(eventIds: Iterable<string>): string[];
  /** How many decisions were read for the event, and whether they differ. */
  decisionsOf(eventId: string): { count: number; differing: boolean };
  stop(): Promise<DecisionStats>;
}

/** Reads a decisions topic from its start, counting decisions per event, by action and by path. */
export async function startDecisionsReader(options: {
  kafka: Kafka;
  serde: AvroSerde;
  topic: string;
  groupId: string;
  /** Decisions of events published this long after the first one count as steady state. */
  warmUpMs?: number;
}): Promise<DecisionsReader> {
  const tally = readerTally<Decision>({
    idOf: (d) => d.event_id,
    verdictOf: verdict,
    pathOf: (d) => d.path,
    warmUpMs: options.warmUpMs ?? 5_000,
  });
  const byAction: Record<string, number> = {};
  const reader = await startTopicReader<Decision>({
    kafka: options.kafka,
    serde: options.serde,
    topic: options.topic,
    groupId: options.groupId,
    schema: 'fraud/decision',
    keep: (decision, message, arrived) => {
      tally.add(decision, arrived, readPublishTime(message.headers));
      byAction[decision.action] = (byAction[decision.action] ?? 0) + 1;
    },
  });

  const stats = (): DecisionStats => {
    const { ids, ...counted } = tally.stats();
    return { ...counted, events: ids, byAction: { ...byAction } };
  };
  return {
    stats,
    takeWindow: tally.takeWindow,
    missing: tally.missing,
    decisionsOf: tally.of,
    stop: async () => {
      await reader.stop();
      return stats();
    },
  };
}

/** What a decision says about its event, leaving out when and by whom it was made. */
function verdict(d: Decision): string {
  return JSON.stringify([
    d.action,
    d.score,
    d.path,
    d.reason_codes,
    d.model_name,
    d.model_version,
    d.rule_set_version,
    d.experiment_variant,
  ]);
}
