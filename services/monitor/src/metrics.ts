import { metrics } from '@opentelemetry/api';
import type { FigureRow } from './store.js';

export interface MonitorMetrics {
  /** The figures of the latest run replace the previous ones (per model, variant, check, subject and metric). */
  recordRun(figures: readonly FigureRow[], windowEnd: number, durationMs: number): void;
  recordAlerts(alerts: readonly { check: string; status: string }[], triggers: number): void;
}

/**
 * Prometheus metrics, through the global meter provider startTelemetry installs (served on /metrics by
 * the health server): every figure as `monitor_figure{kind,model,version,variant,subject,metric}`,
 * `monitor_breached` (1 when the figure breached its threshold), alerts and triggers emitted, run time.
 */
export function createMonitorMetrics(): MonitorMetrics {
  const meter = metrics.getMeter('pipeline.monitor');
  const latest = new Map<string, FigureRow>();
  let lastWindowEnd = 0;
  const attributes = (f: FigureRow) => ({
    kind: f.kind,
    model: f.model_name,
    version: f.model_version,
    variant: f.variant,
    subject: f.subject,
    metric: f.metric,
  });
  meter
    .createObservableGauge('monitor_figure', { description: 'Latest value of each monitor figure' })
    .addCallback((r) => {
      for (const f of latest.values()) if (!Number.isNaN(f.value)) r.observe(f.value, attributes(f));
    });
  meter
    .createObservableGauge('monitor_breached', {
      description: '1 when the figure breached its threshold in the latest run',
    })
    .addCallback((r) => {
      for (const f of latest.values()) if (f.threshold !== null) r.observe(f.breached ? 1 : 0, attributes(f));
    });
  meter
    .createObservableGauge('monitor_last_window_end_seconds', {
      description: 'Window end of the latest run (event or wall time)',
    })
    .addCallback((r) => r.observe(lastWindowEnd / 1000));
  const alertCounter = meter.createCounter('monitor_alerts', { description: 'Alerts emitted' });
  const triggerCounter = meter.createCounter('monitor_retraining_triggers', {
    description: 'Retraining triggers emitted',
  });
  const runDuration = meter.createHistogram('monitor_run_duration', {
    unit: 'ms',
    description: 'Time of one monitor run',
  });

  return {
    recordRun(figures, windowEnd, durationMs) {
      for (const f of figures) {
        latest.set(`${f.kind}|${f.model_name}|${f.model_version}|${f.variant}|${f.subject}|${f.metric}`, f);
      }
      lastWindowEnd = windowEnd;
      runDuration.record(durationMs);
    },
    recordAlerts(alerts, triggers) {
      for (const a of alerts) alertCounter.add(1, { check: a.check, status: a.status });
      if (triggers > 0) triggerCounter.add(triggers);
    },
  };
}
