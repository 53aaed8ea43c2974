import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it("serves the event loop's busy and idle time and GC with tracing off", async () => {
    const telemetry = startTelemetry('runtime', { OTEL_SDK_DISABLED: 'true' });
    const server = createServer((request, response) => telemetry.metricsHandler(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(page).toMatch(/^nodejs_eventloop_time_total\{nodejs_eventloop_state="active"[^}]*\} \d/m);
      expect(page).toMatch(/^nodejs_eventloop_time_total\{nodejs_eventloop_state="idle"[^}]*\} \d/m);
    } finally {
      server.close();
      await telemetry.shutdown();
    }
  });
});
