import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBatchConsumer, createLogger, createProducer, DEFAULT_SESSION, type Decoder } from '@pipeline/shared';
import { createTopic, servers, testKafka, uniqueName } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';

const MEMBER = fileURLToPath(new URL('./fixtures/group-member.ts', import.meta.url));
const raw: Decoder<Buffer | null> = { prepare: async () => {}, decode: (m) => m };

describe('a group member killed without leaving', () => {
  it('loses its partitions to a restarted member within the session timeout, not kafkajs’s 30 s', async () => {
    const kafka = testKafka();
    const topic = uniqueName('killed-member');
    await createTopic(kafka, topic, 3);
    const groupId = uniqueName('group');

    const member = spawn(process.execPath, ['--import', 'tsx', MEMBER], {
      env: { ...process.env, ...servers(), TOPIC: topic, GROUP: groupId },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      member.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('consuming')) resolve();
      });
      member.once('exit', (code) => reject(new Error(`member exited with ${code} before joining`)));
    });
    member.kill('SIGKILL');
    const killedAt = Date.now();

    let received = 0;
    const restarted = createBatchConsumer<Buffer | null>({
      kafka,
      groupId,
      decoders: { [topic]: raw },
      handler: async (records) => {
        received += records.length;
      },
      deadLetters: { publish: async () => {} },
      logger: createLogger('restarted', 'silent'),
      // Without a commit, a partition starts where it stands at the member's first fetch of it: on a
      // loaded machine that can come after the messages below, which would then never be read.
      fromBeginning: true,
    });
    const producer = createProducer(kafka);
    await producer.connect();
    try {
      expect(restarted.consuming).toBe(false);
      await restarted.start(); // joins once the killed member's session has expired
      expect(restarted.consuming).toBe(true);
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })),
      });
      while (received < 30) await new Promise((r) => setTimeout(r, 20));
      const movedAfterMs = Date.now() - killedAt;
      // Every partition, the killed member's included, is read again well before kafkajs's 30 s default.
      expect(movedAfterMs).toBeLessThan(DEFAULT_SESSION.timeoutMs + 10_000);
    } finally {
      await restarted.stop();
      await producer.disconnect();
    }
    expect(restarted.consuming).toBe(false);
  }, 60_000);
});
