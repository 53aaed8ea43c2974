import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Consumer, errorMessage, type Kafka, type Logger, readIngestTime } from '@pipeline/shared';
import { LatencyWindow } from './latency-window.js';

/** A hop: the topic an event reaches, named after the service that produced it there. */
export interface Hop {
  name: string;
  topic: string;
}

export interface HopProbe {
  readonly windows: ReadonlyMap<string, LatencyWindow>;
  /** Null while it reads; else why it does not (topics missing, broker down), retried in the background. */
  error(): string | null;
  stop(): Promise<void>;
}

/**
 * Latency from ingest to each hop, read from Kafka itself: for every message on a hop's topic, its
 * own timestamp (stamped by the service that produced it) minus the `ingest-time-ms` header (the
 * transaction's timestamp on the transactions topic, carried by every service). Values are not
 * decoded, only headers and timestamps read, in large fetches; nothing is committed (a group of its
 * own per process, starting at the end of each topic).
 */
export async function startHopProbe(options: {
  kafka: Kafka;
  /** Lists the topics, so a missing one is reported instead of retried by kafkajs for long. */
  listTopics: () => Promise<string[]>;
  hops: readonly Hop[];
  windowMs: number;
  groupPrefix: string;
  logger: Logger;
  retryMs?: number;
}): Promise<HopProbe> {
  const windows = new Map(options.hops.map((h) => [h.name, new LatencyWindow(options.windowMs)] as const));
  const hopOf = new Map(options.hops.map((h) => [h.topic, h.name] as const));
  let consumer: Consumer | undefined;
  let failure: string | null = 'connecting to Kafka';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const start = async (): Promise<void> => {
    if (stopped) return;
    const existing = await options.listTopics().catch(() => null);
    const missing = options.hops.map((h) => h.topic).filter((t) => !existing?.includes(t));
    if (!existing || missing.length > 0) {
      failure = existing ? `topics missing: ${missing.join(', ')}` : 'Kafka does not answer';
      if (!stopped) timer = setTimeout(() => void start(), options.retryMs ?? 10_000);
      return;
    }
    const c = options.kafka.consumer({
      groupId: `${options.groupPrefix}.${hostname()}.${process.pid}.${randomBytes(3).toString('hex')}`,
      allowAutoTopicCreation: false,
      minBytes: 64 * 1024,
      maxWaitTimeInMs: 500,
    });
    try {
      await c.connect();
      await c.subscribe({ topics: options.hops.map((h) => h.topic), fromBeginning: false });
      await c.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const window = windows.get(hopOf.get(batch.topic) ?? '');
          if (!window) return;
          for (const message of batch.messages) {
            const ingest = readIngestTime(message.headers);
            const produced = Number(message.timestamp);
            if (ingest === undefined || !Number.isFinite(produced)) continue;
            window.record(Math.max(0, produced - ingest), produced);
          }
        },
      });
      c.on(c.events.CRASH, (event) => {
        failure = `latency consumer crashed: ${errorMessage(event.payload.error)}`;
        if (!event.payload.restart) retry(c);
      });
      consumer = c;
      failure = null;
    } catch (error) {
      failure = `cannot read ${options.hops.map((h) => h.topic).join(', ')}: ${errorMessage(error)}`;
      options.logger.warn({ err: error }, 'hop latency probe not started; retrying');
      retry(c);
    }
  };
  const retry = (c: Consumer) => {
    void c.disconnect().catch(() => undefined);
    if (!stopped) timer = setTimeout(() => void start(), options.retryMs ?? 10_000);
  };

  // In the background: Kafka down at start must not hold the console's start.
  void start();
  return {
    windows,
    error: () => failure,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await consumer?.disconnect();
    },
  };
}
