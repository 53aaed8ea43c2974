// `npm run probe -- --topic decisions --duration 30s [--from-beginning]`: end-to-end latency and
// backlog on a topic, from the publish-time-ms header the load generator stamps.
import { localEnv, serversFromEnv } from '@pipeline/infra/env';
import { createKafka, kafkaSecurity, kafkaVars, parseEnv, runMain } from '@pipeline/shared';
import { type ProbeReport, startLatencyProbe } from '../probe/latency-probe.js';
import type { Summary } from '../probe/percentiles.js';
import { PROBE_USAGE, parseProbeArgs } from './args.js';
import { exitUsage, formatCount, formatMs, formatSeconds, printResult, round1 } from './output.js';

const parsed = parseProbeArgs(process.argv.slice(2));
if (parsed.kind === 'help') {
  console.log(PROBE_USAGE);
  process.exit(0);
}
if (parsed.kind === 'error') exitUsage('probe', parsed.message);
const config = parsed.config;

const latencies = (s: Summary) =>
  `p50 ${formatMs(s.p50)}  p95 ${formatMs(s.p95)}  p99 ${formatMs(s.p99)}  max ${formatMs(s.max)}`;

function progressLine(report: ProbeReport): string {
  return `probe ${formatSeconds(report.elapsedMs).padStart(8)}  received ${formatCount(report.received).padStart(11)}  last interval: ${latencies(report.intervalLatencyMs)}  backlog ${formatCount(report.backlog)}`;
}

await runMain('probe', async () => {
  const env = parseEnv(kafkaVars, serversFromEnv() ?? localEnv());
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'latency-probe', security: kafkaSecurity(env) });
  const probe = await startLatencyProbe({
    kafka,
    topic: config.topic,
    fromBeginning: config.fromBeginning,
    reportIntervalMs: config.intervalMs,
    onReport: (report) => process.stderr.write(`${progressLine(report)}\n`),
    ...(config.durationMs === undefined ? {} : { durationMs: config.durationMs }),
    ...(config.count === undefined ? {} : { count: config.count }),
  });
  const stop = () => void probe.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stderr.write(
    `probe: reading ${config.topic} ${config.fromBeginning ? 'from the beginning' : 'from now on'} as group ${probe.groupId}; Ctrl-C stops\n`,
  );
  const report = await probe.done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);

  const l = report.latencyMs;
  printResult(
    `latency on ${report.topic} (arrival - publish-time-ms header, nearest-rank percentiles)`,
    [
      ['duration', formatSeconds(report.elapsedMs)],
      ['messages', formatCount(report.received)],
      ['with header', formatCount(l.count)],
      ['without header', formatCount(report.withoutHeader)],
      ['latency p50', formatMs(l.p50)],
      ['latency p95', formatMs(l.p95)],
      ['latency p99', formatMs(l.p99)],
      ['latency max', formatMs(l.max)],
      ['latency mean', formatMs(l.mean)],
      ['backlog at end', formatCount(report.backlog)],
      ['stopped by', report.stoppedBy ?? '-'],
    ],
    {
      command: 'probe',
      topic: report.topic,
      duration_s: round1(report.elapsedMs / 1000),
      received: report.received,
      without_header: report.withoutHeader,
      latency_ms: {
        count: l.count,
        p50: round1(l.p50),
        p95: round1(l.p95),
        p99: round1(l.p99),
        max: round1(l.max),
        mean: round1(l.mean),
      },
      backlog: report.backlog,
      stopped_by: report.stoppedBy ?? null,
    },
  );
});
