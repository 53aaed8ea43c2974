import type { Kafka } from 'kafkajs';

export interface WarmUpOptions {
  /** Topic and consumer group of the warm-up; both are deleted at the end. */
  name: string;
  maxSeconds: number;
  /** The rate is measured over windows this long; warm once two in a row gain less than `minGain` (see stoppedGaining). */
  windowSeconds: number;
  minGain: number;
  report?: (line: string) => void;
}

export const WARM_UP_DEFAULTS: Omit<WarmUpOptions, 'name' | 'report'> = {
  maxSeconds: 60,
  windowSeconds: 4,
  minGain: 0.1,
};

export interface WarmUpResult {
  /** Produce round trips per second in each window. */
  rates: number[];
  seconds: number;
  warm: boolean;
}

const PRODUCERS = 4;
const MESSAGES_PER_SEND = 20;
const VALUE = Buffer.alloc(400, 1);

/**
 * True once two windows in a row gained less than `minGain` on the best window before them: one
 * window alone is too noisy on a shared machine.
 */
export function stoppedGaining(rates: readonly number[], minGain: number): boolean {
  if (rates.length < 4) return false;
  const best = Math.max(...rates.slice(0, -2));
  return rates.slice(-2).every((rate) => rate < best * (1 + minGain));
}

/**
 * A freshly started broker runs its request path, and TLS's AES-GCM above all, in interpreted and C1
 * code: the JVM's GHASH intrinsic is C2's only, and C2 takes tens of seconds of CPU to get there (the
 * README's "Local infrastructure"). On two cores that is CPU the pipeline needs, and the first minutes
 * of a demo or benchmark decided on rules alone. So `up` drives produce, fetch and commit traffic
 * through a broker it started until the round trips stop getting faster, on a topic and group it
 * deletes afterwards.
 */
export async function warmUpKafka(kafka: Kafka, options: WarmUpOptions): Promise<WarmUpResult> {
  const { name: topic, maxSeconds, windowSeconds, minGain, report = () => {} } = options;
  const admin = kafka.admin();
  await admin.connect();
  const producers = Array.from({ length: PRODUCERS }, () => kafka.producer({ allowAutoTopicCreation: false }));
  const consumer = kafka.consumer({ groupId: topic, maxWaitTimeInMs: 10 });
  const started = Date.now();
  const rates: number[] = [];
  let warm = false;
  let done = false;
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PRODUCERS }], waitForLeaders: true });
    await Promise.all(producers.map((p) => p.connect()));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // A commit after every batch, like the services', so the offset-commit path warms too.
    await consumer.run({ autoCommitThreshold: 1, eachBatch: async () => {} });

    let sends = 0;
    const windows = (async () => {
      while (!done) {
        const from = sends;
        await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
        rates.push(Math.round((sends - from) / windowSeconds));
        const seconds = (Date.now() - started) / 1000;
        warm = stoppedGaining(rates, minGain);
        report(`warming up: ${seconds.toFixed(0)}s, ${rates.at(-1)} produce round trips/s`);
        if (warm || seconds >= maxSeconds) done = true;
      }
    })();
    const messages = Array.from({ length: MESSAGES_PER_SEND }, (_, i) => ({ key: String(i), value: VALUE }));
    await Promise.all(
      producers.map(async (producer) => {
        while (!done) {
          await producer.send({ topic, acks: -1, messages });
          sends++;
        }
      }),
    );
    await windows;
  } finally {
    done = true;
    await consumer.disconnect().catch(() => {});
    await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
    await admin.deleteGroups([topic]).catch(() => {});
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
  return { rates, seconds: (Date.now() - started) / 1000, warm };
}
