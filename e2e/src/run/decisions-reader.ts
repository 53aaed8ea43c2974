import { type Summary, ValueRecorder } from '@pipeline/loadtest';
import { type AvroSerde, type Consumer, type Kafka, readPublishTime } from '@pipeline/shared';
import { type Decision, schemaFor } from '@pipeline/topology';

export interface DecisionStats {
  /** Decisions read, duplicates included. */
  received: number;
  /** Distinct events decided. */
  events: number;
  /** Events decided more than once. */
  duplicates: number;
  /** Events decided more than once, not always the same way (action, score, path, reasons, versions). */
  differingDuplicates: number;
  byAction: Record<string, number>;
  byPath: Record<string, number>;
  /** The same, for events published after the first `warmUpMs` of traffic. */
  steadyByPath: Record<string, number>;
  /** Arrival here minus the `publish-time-ms` header the load generator stamped. */
  latencyMs: Summary;
  /** The same, for events published after the first `warmUpMs` of traffic (services warm). */
  steadyLatencyMs: Summary;
}

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
  const warmUpMs = options.warmUpMs ?? 5_000;
  const decoder = options.serde.decoder<Decision>(schemaFor('fraud/decision').type);
  const perEvent = new Map<string, number>();
  // What each event's first decision said, to tell an identical redelivery from a second verdict.
  const firstSaid = new Map<string, string>();
  const differing = new Set<string>();
  const byAction: Record<string, number> = {};
  const byPath: Record<string, number> = {};
  const steadyByPath: Record<string, number> = {};
  const latency = new ValueRecorder();
  const steady = new ValueRecorder();
  let window = new ValueRecorder();
  let windowRulesOnly = 0;
  let firstPublished: number | undefined;
  let received = 0;

  const consumer: Consumer = options.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const arrived = Date.now();
      await decoder.prepare(batch.messages.map((m) => m.value));
      for (const message of batch.messages) {
        const decision = decoder.decode(message.value);
        received++;
        perEvent.set(decision.event_id, (perEvent.get(decision.event_id) ?? 0) + 1);
        const said = verdict(decision);
        const first = firstSaid.get(decision.event_id);
        if (first === undefined) firstSaid.set(decision.event_id, said);
        else if (first !== said) differing.add(decision.event_id);
        byAction[decision.action] = (byAction[decision.action] ?? 0) + 1;
        byPath[decision.path] = (byPath[decision.path] ?? 0) + 1;
        if (decision.path === 'RULES_ONLY') windowRulesOnly++;
        const published = readPublishTime(message.headers);
        if (published === undefined) continue;
        latency.record(arrived - published);
        window.record(arrived - published);
        firstPublished ??= published;
        if (published - firstPublished >= warmUpMs) {
          steady.record(arrived - published);
          steadyByPath[decision.path] = (steadyByPath[decision.path] ?? 0) + 1;
        }
      }
    },
  });

  const stats = (): DecisionStats => {
    let duplicates = 0;
    for (const n of perEvent.values()) if (n > 1) duplicates++;
    return {
      received,
      events: perEvent.size,
      duplicates,
      differingDuplicates: differing.size,
      byAction: { ...byAction },
      byPath: { ...byPath },
      steadyByPath: { ...steadyByPath },
      latencyMs: latency.summary(),
      steadyLatencyMs: steady.summary(),
    };
  };
  const takeWindow = () => {
    const taken = { ...window.summary(), rulesOnly: windowRulesOnly };
    window = new ValueRecorder();
    windowRulesOnly = 0;
    return taken;
  };
  const missing = (ids: Iterable<string>) => [...ids].filter((id) => !perEvent.has(id));
  return {
    stats,
    takeWindow,
    missing,
    decisionsOf: (id) => ({ count: perEvent.get(id) ?? 0, differing: differing.has(id) }),
    stop: async () => {
      // Its group is the run's, removed with the run.
      await consumer.disconnect();
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
