import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import type * as KafkaJS from 'kafkajs';
import type { PerTurnOptions } from '../batching/per-turn.js';
import type { Logger } from '../logging/logger.js';
import { coalesceSends } from './coalesce-sends.js';
import { requestCounter } from './request-counts.js';

export type { Admin, Consumer, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';

const require = createRequire(import.meta.url);

/**
 * kafkajs is loaded with require() at first use rather than imported, so that telemetry started
 * before it can patch the module (the OpenTelemetry instrumentation hooks require()). That is what
 * puts trace context into Kafka headers.
 */
export function kafkajs(): typeof KafkaJS {
  return require('kafkajs') as typeof KafkaJS;
}

export const KAFKA_SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_SSL', 'SASL_PLAINTEXT'] as const;

/** TLS and SASL of a client, as `kafkaSecurity` (config/common.ts) makes them from the variables. */
export interface KafkaSecurity {
  ssl?: true | { ca: string[] };
  sasl?: { mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain'; username: string; password: string };
}

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** None: plaintext without authentication. */
  security?: KafkaSecurity;
}

/**
 * kafkajs's own socket factory, with Nagle's algorithm off. kafkajs leaves it on; over TLS a request
 * leaves as several writes (one per TLS record), and the last, small one waits for the broker to
 * acknowledge the first, which it delays: tens of milliseconds on a hop that otherwise takes a few.
 */
const socketFactory: KafkaJS.ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

export function createKafka({ brokers, clientId, logger, security }: KafkaOptions): KafkaJS.Kafka {
  const { Kafka, logLevel } = kafkajs();
  const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
    [logLevel.ERROR]: 'error',
    [logLevel.WARN]: 'warn',
    [logLevel.INFO]: 'info',
    [logLevel.DEBUG]: 'debug',
  };
  return new Kafka({
    clientId,
    brokers,
    ...(security?.ssl ? { ssl: security.ssl } : {}),
    ...(security?.sasl ? { sasl: security.sasl as KafkaJS.SASLOptions } : {}),
    socketFactory,
    connectionTimeout: 3000,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      logger?.[levels[entry.level] ?? 'info']({ kafkajs: entry.namespace, ...extra }, message);
    },
  });
}

/**
 * A producer that hashes keys like the Java client does, so any client puts a key on the same
 * partition, and sends what is produced in one turn of the event loop as one request. With
 * `maxInFlight`, sends made while that many requests await their acknowledgement go together in the
 * next: for a caller that sends one message at a time (a request handler), not per batch.
 */
export function createProducer(
  kafka: KafkaJS.Kafka,
  options: Pick<PerTurnOptions, 'maxInFlight'> = {},
): KafkaJS.Producer {
  const { Partitioners } = kafkajs();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  producer.on(producer.events.REQUEST, requestCounter('producer'));
  return coalesceSends(producer, undefined, options);
}
