import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTelemetry } from './telemetry.js';

describe('startTelemetry', () => {
  it('turns tracing off with OTEL_SDK_DISABLED=true, keeping metrics', async () => {
    const telemetry = startTelemetry('off', { OTEL_SDK_DISABLED: 'true' });
    expect(telemetry.tracing).toBe(false);
    // No provider registered: spans are the API's no-op ones.
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
    expect(typeof telemetry.metricsHandler).toBe('function');
    await telemetry.shutdown();
  });

  it('traces by default', async () => {
    const telemetry = startTelemetry('on', {});
    expect(telemetry.tracing).toBe(true);
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(true);
    await telemetry.shutdown();
    trace.disable();
  });
});
