import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface Telemetry {
  /** Handler for GET /metrics on the health server. */
  metricsHandler(request: IncomingMessage, response: ServerResponse): void;
  /** False when OTEL_SDK_DISABLED=true: no spans, no trace context in Kafka headers. */
  tracing: boolean;
  shutdown(): Promise<void>;
}

/**
 * Traces and metrics for one service. Must run before kafkajs is first loaded (createKafka does that),
 * so the kafkajs instrumentation can wrap producers and consumers: sends then carry `traceparent` in
 * their headers and consumers continue the trace. Spans are exported over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; metrics are served for Prometheus by the health server.
 * OTEL_SDK_DISABLED=true (the OpenTelemetry variable) turns tracing off: the instrumentation hooks
 * every `require` and wraps every send and batch, which costs CPU on small machines.
 */
export function startTelemetry(service: string, env: Record<string, string | undefined> = process.env): Telemetry {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: service });
  const spanProcessors: SpanProcessor[] = env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? [new BatchSpanProcessor(new OTLPTraceExporter())]
    : [];
  const tracing = env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true';
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  if (tracing) tracerProvider.register();

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  metrics.setGlobalMeterProvider(meterProvider);

  // The event loop's busy time, delay and GC (`nodejs_eventloop_*`, `v8js_*`): where a service's
  // latency goes when it is not waiting on the network. Metrics only, so kept with tracing off.
  const unregisterRuntime = registerInstrumentations({
    meterProvider,
    instrumentations: [new RuntimeNodeInstrumentation()],
  });
  const unregister = tracing
    ? registerInstrumentations({ tracerProvider, meterProvider, instrumentations: [new KafkaJsInstrumentation()] })
    : () => {};

  return {
    tracing,
    metricsHandler: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    async shutdown() {
      unregister();
      unregisterRuntime();
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
