import { createAvroSerde, createProducer, createRegistryClient, type Producer } from '@pipeline/shared';
import { servers } from '@pipeline/testing';
import { type Decision, schemaFor, valueSubject } from '@pipeline/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../src/app.js';
import { type ApiWorld, createApiWorld, eventually, post, transaction } from './harness.js';

/**
 * Two API instances on topics of several partitions, the decision engine played by the test: for
 * every transaction on the topic it produces a decision keyed by customer, so decisions land on
 * every partition. Each instance must answer its own requests, whichever partition they land on.
 */
describe('several instances, several partitions', () => {
  let world: ApiWorld;
  let second: Api;
  let producer: Producer;
  let stopEngine = () => {};

  beforeAll(async () => {
    world = await createApiWorld({ partitions: 3 });
    second = await world.startAnotherApi();
    const serde = createAvroSerde(createRegistryClient(servers().SCHEMA_REGISTRY_URL));
    const encoder = await serde.encoder<Decision>(
      valueSubject(world.ns.topics.decisions),
      schemaFor('fraud/decision').type,
    );
    producer = createProducer(world.kafka);
    await producer.connect();
    let handled = 0;
    const timer = setInterval(() => {
      const fresh = world.transactions.slice(handled);
      handled += fresh.length;
      for (const eventId of fresh) {
        const decision = decisionFor(eventId);
        void producer.send({
          topic: world.ns.topics.decisions,
          acks: -1,
          messages: [{ key: decision.customer_id, value: encoder.encode(decision) }],
        });
      }
    }, 20);
    stopEngine = () => clearInterval(timer);
    for (const api of [world.api, second]) {
      await eventually('an instance reading its topics', () =>
        api.pipeline.unavailable() === null ? true : undefined,
      );
    }
  });
  afterAll(async () => {
    stopEngine();
    await producer?.disconnect();
    await world?.close();
  });

  const customers = new Map<string, string>();
  const decisionFor = (eventId: string): Decision => ({
    event_id: eventId,
    customer_id: customers.get(eventId) ?? 'unknown',
    event_time: 1,
    action: 'STEP_UP',
    reason_codes: [`FOR:${eventId}`],
    score: 0.5,
    path: 'MODEL_AND_RULES',
    rule_set_version: 'test',
    model_name: 'm',
    model_version: '1',
    feature_set_version: 2,
    experiment_variant: 'control',
    decided_at: 2,
  });

  it("each instance gets its own requests' decisions from every partition", async () => {
    const requests = Array.from({ length: 12 }, (_, i) => {
      const tx = transaction();
      customers.set(tx.event_id, tx.customer_id);
      const api = i % 2 === 0 ? world.api : second;
      return { tx, url: `http://127.0.0.1:${api.port}` };
    });
    const responses = await Promise.all(requests.map((r) => post(r.url, r.tx, { 'decision-deadline-ms': '5000' })));
    responses.forEach((response, i) => {
      const { tx } = requests[i] as (typeof requests)[number];
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ source: 'pipeline', deadline_exceeded: false });
      expect(response.body.decision).toEqual(decisionFor(tx.event_id));
    });
    // The decisions were spread over the partitions (customers hash to all three here).
    const admin = world.kafka.admin();
    await admin.connect();
    const partitions = await admin.fetchTopicOffsets(world.ns.topics.decisions);
    await admin.disconnect();
    expect(partitions.filter((p) => Number(p.high) > 0).length).toBeGreaterThan(1);
  });

  it('a repeat sent to the other instance gets the same answer without producing again', async () => {
    const tx = transaction();
    customers.set(tx.event_id, tx.customer_id);
    const first = await post(`http://127.0.0.1:${world.api.port}`, tx, { 'decision-deadline-ms': '5000' });
    const again = await post(`http://127.0.0.1:${second.port}`, tx);
    expect(again).toMatchObject({ status: 200, body: { idempotent_replay: true } });
    expect(again.body.decision).toEqual(first.body.decision);
    expect(world.transactions.filter((id) => id === tx.event_id)).toHaveLength(1);
  });
});
