import { context, trace } from '@opentelemetry/api';
import { createKafka, createProducer, kafkaSecurityOf, startTelemetry } from '@pipeline/shared';
import { createTopic, readMessages, servers, uniqueName } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';

describe('trace context across topics', () => {
  it('puts the producing span into a traceparent header', async () => {
    // Started before this file loads kafkajs, as every service's main.ts does.
    const telemetry = startTelemetry('trace-test');
    const kafka = createKafka({
      brokers: servers().KAFKA_BROKERS.split(','),
      clientId: 'trace-test',
      security: kafkaSecurityOf(servers()),
    });
    const topic = uniqueName('traced');
    await createTopic(kafka, topic);
    const producer = createProducer(kafka);
    await producer.connect();
    const span = trace.getTracer('test').startSpan('publish');
    await context.with(trace.setSpan(context.active(), span), () =>
      producer.send({ topic, messages: [{ value: 'x' }] }),
    );
    span.end();
    await producer.disconnect();

    const [message] = await readMessages(kafka, topic, 1);
    const traceparent = message?.headers?.traceparent?.toString();
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(traceparent?.split('-')[1]).toBe(span.spanContext().traceId);
    await telemetry.shutdown();
  });
});
