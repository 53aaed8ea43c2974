import {
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  type KafkaMessage,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { MalformedMessageError, PipelineError, RegistryUnavailableError } from '../errors.js';
import type { Decoder } from '../serde/avro-serde.js';
import { decodeBatch, transientCrash } from './batch-consumer.js';

function message(offset: number, value: string | null): KafkaMessage {
  return {
    key: Buffer.from(`k${offset}`),
    value: value === null ? null : Buffer.from(value),
    offset: String(offset),
    timestamp: '1700000000000',
    attributes: 0,
    headers: {},
  } as KafkaMessage;
}

const jsonDecoder: Decoder<{ n: number }> = {
  async prepare() {},
  decode(bytes) {
    try {
      return JSON.parse(String(bytes)) as { n: number };
    } catch (error) {
      throw new MalformedMessageError('not JSON', { cause: error });
    }
  },
};

describe('decodeBatch', () => {
  it('keeps good records in order and rejects the bad ones with their error', () => {
    const { records, rejected } = decodeBatch(
      't',
      2,
      [message(10, '{"n":1}'), message(11, 'garbage'), message(12, '{"n":3}')],
      jsonDecoder,
    );
    expect(records.map((r) => [r.offset, r.value.n])).toEqual([
      ['10', 1],
      ['12', 3],
    ]);
    expect(records[0]).toMatchObject({ topic: 't', partition: 2, timestamp: 1_700_000_000_000 });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.message.offset).toBe('11');
    expect(rejected[0]?.error).toBeInstanceOf(MalformedMessageError);
  });

  it('rethrows a retriable error instead of dead-lettering good messages', () => {
    const down: Decoder<unknown> = {
      async prepare() {},
      decode() {
        throw new RegistryUnavailableError('registry down');
      },
    };
    expect(() => decodeBatch('t', 0, [message(1, 'x')], down)).toThrow(RegistryUnavailableError);
  });
});

describe('transientCrash', () => {
  it('restarts what a server being away caused, even where kafkajs calls it non-retriable', () => {
    // what kafkajs crashed with while the broker restarted: its retrier wraps the lookup's error
    // (its type declares no constructor arguments; the class needs the message)
    const NotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;
    const noCoordinator = new NotFound('Failed to find group coordinator');
    const wrapped = Object.assign(new KafkaJSNonRetriableError(noCoordinator), { cause: noCoordinator });
    expect(transientCrash(wrapped)).toBe(true);
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    expect(transientCrash(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 3000 }))).toBe(true);
    expect(transientCrash(new PipelineError('redis unreachable', { retriable: true }))).toBe(true);
  });

  it('lets a crash from the code or the data stop the service', () => {
    expect(transientCrash(new PipelineError('no decoder for topic x'))).toBe(false);
    expect(transientCrash(new KafkaJSNonRetriableError('The coordinator is not aware of this member'))).toBe(false);
    expect(transientCrash(new TypeError('undefined is not a function'))).toBe(false);
    expect(transientCrash(undefined)).toBe(false);
  });
});
