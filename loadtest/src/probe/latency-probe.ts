import { randomBytes } from 'node:crypto';
import { type Consumer, errorMessage, type Kafka, PipelineError, readPublishTime } from '@pipeline/shared';
import { type Summary, ValueRecorder } from './percentiles.js';

export interface LatencyProbeOptions {
  kafka: Kafka;
  topic: string;
  /** Read what the topic already holds too; default: only messages published after the start. */
  fromBeginning?: boolean;
  /** Default: a fresh group per run (deleted at the end), so no other consumer's offsets move. */
  groupId?: string;
  /** Stop by itself after this long, or after `count` messages, whichever comes first. */
  durationMs?: number;
  count?: number;
  /** Period of `onReport` calls; default 1,000 ms. */
  reportIntervalMs?: number;
  onReport?: (report: ProbeReport) => void;
  /** Epoch milliseconds, compared with the publish-time header; default Date.now. */
  wallClock?: () => number;
  /**
   * 'arrival' (default): publish time to this consumer reading the message, as a downstream consumer
   * sees it; the probe fetches as soon as data is there. 'produced': publish time to the message's
   * own timestamp, stamped by the producing service when it sent it; the probe then fetches in large
   * batches, costing the broker and the machine almost nothing beside what it measures.
   */
  measure?: 'arrival' | 'produced';
}

export type ProbeStopReason = 'count' | 'duration' | 'stopped';

export interface ProbeReport {
  topic: string;
  elapsedMs: number;
  /** Messages read, with or without the header. */
  received: number;
  /** Messages without a readable publish-time header: counted, not in the latencies. */
  withoutHeader: number;
  /** Arrival minus publish time, in ms, over the whole run. */
  latencyMs: Summary;
  /** In periodic reports: the latencies since the previous report. In the final report: the whole run. */
  intervalLatencyMs: Summary;
  /** Sum over partitions of high watermark minus this probe's position: what is left to read. */
  backlog: number;
  backlogByPartition: Record<number, number>;
  final: boolean;
  stoppedBy?: ProbeStopReason;
}

export interface LatencyProbe {
  readonly groupId: string;
  /** Counts so far, cheap to call. */
  counts(): { received: number; withoutHeader: number };
  /** Resolves with the final report once the probe stops (count, duration or stop()). */
  readonly done: Promise<ProbeReport>;
  stop(): Promise<ProbeReport>;
}

/**
 * Measures end-to-end latency on any topic: for each message, the time it reaches this consumer (or
 * was produced: `measure`) minus the `publish-time-ms` header the load generator stamped. The probe
 * starts from the topic's high watermarks (or its log start offsets with `fromBeginning`), read
 * before it joins, so "from latest" means exactly the messages published after startLatencyProbe
 * returned.
 * It tracks its own position per partition (next offset to read), and reports the backlog as
 * high watermark minus that position, summed over partitions.
 *
 * Every latency is kept (see ValueRecorder), so percentiles are exact; memory grows 8 bytes a
 * message, fine up to tens of millions of messages.
 */
export async function startLatencyProbe(options: LatencyProbeOptions): Promise<LatencyProbe> {
  const { kafka, topic, fromBeginning = false, durationMs, count, reportIntervalMs = 1_000, onReport } = options;
  const wallClock = options.wallClock ?? Date.now;
  const produced = options.measure === 'produced';
  const groupId = options.groupId ?? `latency-probe-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

  const admin = kafka.admin();
  await admin.connect();
  let consumer: Consumer | undefined;
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new PipelineError(`topic '${topic}' does not exist`);
    const offsets = await admin.fetchTopicOffsets(topic);
    const position = new Map<number, number>(
      offsets.map((o) => [o.partition, Number(fromBeginning ? o.low : o.high)] as const),
    );

    const all = new ValueRecorder();
    let interval = new ValueRecorder();
    let received = 0;
    let withoutHeader = 0;
    let stopping = false;
    const start = performance.now();

    const backlogNow = async () => {
      const highs = await admin.fetchTopicOffsets(topic);
      const byPartition: Record<number, number> = {};
      let backlog = 0;
      for (const { partition, high } of highs) {
        const left = Math.max(0, Number(high) - (position.get(partition) ?? 0));
        byPartition[partition] = left;
        backlog += left;
      }
      return { backlog, byPartition };
    };

    const report = (
      backlog: { backlog: number; byPartition: Record<number, number> },
      final: boolean,
      stoppedBy?: ProbeStopReason,
    ): ProbeReport => {
      const latencyMs = all.summary();
      const intervalLatencyMs = final ? latencyMs : interval.summary();
      return {
        topic,
        elapsedMs: performance.now() - start,
        received,
        withoutHeader,
        latencyMs,
        intervalLatencyMs,
        backlog: backlog.backlog,
        backlogByPartition: backlog.byPartition,
        final,
        ...(stoppedBy === undefined ? {} : { stoppedBy }),
      };
    };

    let resolveDone: (report: ProbeReport) => void = () => {};
    let rejectDone: (error: unknown) => void = () => {};
    const done = new Promise<ProbeReport>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    // Callers may only use stop()'s promise; a failure still reaches whoever awaits `done`.
    done.catch(() => undefined);
    let finishing: Promise<ProbeReport> | undefined;
    let reportTimer: NodeJS.Timeout | undefined;
    let durationTimer: NodeJS.Timeout | undefined;

    const finish = (stoppedBy: ProbeStopReason): Promise<ProbeReport> => {
      if (finishing) return finishing;
      stopping = true;
      clearInterval(reportTimer);
      clearTimeout(durationTimer);
      finishing = (async () => {
        try {
          await consumer?.disconnect();
          const final = report(await backlogNow(), true, stoppedBy);
          await admin.deleteGroups([groupId]).catch(() => undefined);
          return final;
        } finally {
          await admin.disconnect();
        }
      })();
      finishing.then(resolveDone, rejectDone);
      return finishing;
    };

    consumer = kafka.consumer(
      produced ? { groupId, maxWaitTimeInMs: 500, minBytes: 1024 * 1024 } : { groupId, maxWaitTimeInMs: 250 },
    );
    // Position the group on joining: kafkajs emits GROUP_JOIN synchronously before its first fetch,
    // and a seek applies at the next fetch, so no message before the start offsets is read and none
    // after them is skipped. (admin.setOffsets would do it too, but costs a 5 s fetch wait.) After
    // a rebalance it puts the group back where this probe is.
    const joined = consumer;
    joined.on(joined.events.GROUP_JOIN, () => {
      for (const [partition, offset] of position) joined.seek({ topic, partition, offset: String(offset) });
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (stopping) return;
        const arrival = wallClock();
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset < (position.get(batch.partition) ?? 0)) continue;
          const published = readPublishTime(message.headers);
          if (published === undefined) {
            withoutHeader++;
          } else {
            const at = produced ? Number(message.timestamp) : arrival;
            all.record(at - published);
            interval.record(at - published);
          }
          received++;
          position.set(batch.partition, offset + 1);
          if (count !== undefined && received >= count) {
            void finish('count');
            return;
          }
        }
      },
    });

    if (onReport) {
      let reporting = false;
      reportTimer = setInterval(() => {
        if (reporting || stopping) return;
        reporting = true;
        backlogNow()
          .then((backlog) => {
            if (stopping) return;
            const periodic = report(backlog, false);
            interval = new ValueRecorder();
            onReport(periodic);
          })
          .catch((error: unknown) => process.emitWarning(`latency probe: backlog not read: ${errorMessage(error)}`))
          .finally(() => {
            reporting = false;
          });
      }, reportIntervalMs);
    }
    if (durationMs !== undefined) durationTimer = setTimeout(() => void finish('duration'), durationMs);
    if (count !== undefined && count <= 0) void finish('count');

    return {
      groupId,
      counts: () => ({ received, withoutHeader }),
      done,
      stop: () => finish('stopped'),
    };
  } catch (error) {
    await consumer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    throw error;
  }
}
