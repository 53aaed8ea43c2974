import { propagation } from '@opentelemetry/api';
import type { Message, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { type PerTurnOptions, perTurn } from '../batching/per-turn.js';

/** Bounds of one coalesced request: the broker refuses record batches over its message size limit. */
export interface CoalesceLimits {
  maxMessages: number;
  maxBytes: number;
}

const DEFAULT_LIMITS: CoalesceLimits = { maxMessages: 2_000, maxBytes: 512 * 1024 };

interface Queued {
  record: ProducerRecord;
  bytes: number;
}

/**
 * A producer whose `send`s made in the same turn of the event loop go out as one request: the
 * batches of one fetch are handled side by side, and one produce request then acknowledges all
 * their output instead of one request per partition. Each caller's promise settles with the request
 * that carried its messages, so "resolved" still means "acknowledged". While tracing is on, sends go
 * out one by one: the kafkajs instrumentation takes each message's trace context from the send call.
 */
export function coalesceSends(
  producer: Producer,
  limits: CoalesceLimits = DEFAULT_LIMITS,
  options: PerTurnOptions = {},
): Producer {
  const sendInTurn = perTurn((all: Queued[]) => {
    const results: Promise<RecordMetadata[]>[] = [];
    let group: Queued[] = [];
    let messages = 0;
    let bytes = 0;
    for (const q of all) {
      const n = q.record.messages.length;
      const fits = messages + n <= limits.maxMessages && bytes + q.bytes <= limits.maxBytes;
      if (group.length > 0 && (!fits || !sameOptions(group[0] as Queued, q))) {
        results.push(...sendGroup(producer, group));
        group = [];
        messages = 0;
        bytes = 0;
      }
      group.push(q);
      messages += n;
      bytes += q.bytes;
    }
    if (group.length > 0) results.push(...sendGroup(producer, group));
    return results;
  }, options);

  const sendOne = (record: ProducerRecord): Promise<RecordMetadata[]> =>
    propagation.fields().length > 0 ? producer.send(record) : sendInTurn({ record, bytes: recordBytes(record) });
  const send = async (record: ProducerRecord): Promise<RecordMetadata[]> => {
    const parts = splitRecord(record, limits);
    if (parts.length === 1) return sendOne(record);
    return (await Promise.all(parts.map(sendOne))).flat();
  };
  return Object.assign(Object.create(producer) as Producer, { send });
}

/**
 * One send too big for one request (a backlog's batch of large messages) as several within the
 * limits, messages in order: the broker refuses a record batch over its size limit, and the
 * producer would fail.
 */
export function splitRecord(record: ProducerRecord, limits: CoalesceLimits): ProducerRecord[] {
  const parts: ProducerRecord[] = [];
  let messages: Message[] = [];
  let bytes = 0;
  for (const m of record.messages) {
    const b = messageBytes(m);
    if (messages.length > 0 && (messages.length >= limits.maxMessages || bytes + b > limits.maxBytes)) {
      parts.push({ ...record, messages });
      messages = [];
      bytes = 0;
    }
    messages.push(m);
    bytes += b;
  }
  if (messages.length > 0 || parts.length === 0) parts.push({ ...record, messages });
  return parts;
}

/** One request for the group; per member, the metadata of its topic. */
function sendGroup(producer: Producer, group: Queued[]): Promise<RecordMetadata[]>[] {
  const [first] = group as [Queued, ...Queued[]];
  if (group.length === 1) return [producer.send(first.record)];
  const { acks, timeout, compression } = first.record;
  const sent = producer.sendBatch({ acks, timeout, compression, topicMessages: byTopic(group) });
  return group.map((q) => sent.then((metadata) => metadata.filter((m) => m.topicName === q.record.topic)));
}

/** One entry per topic, messages in call order: kafkajs keys a request's metadata by topic. */
function byTopic(group: Queued[]): { topic: string; messages: Message[] }[] {
  const topics = new Map<string, Message[]>();
  for (const q of group) {
    const list = topics.get(q.record.topic);
    if (list) list.push(...q.record.messages);
    else topics.set(q.record.topic, [...q.record.messages]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

function sameOptions(a: Queued, b: Queued): boolean {
  return (
    a.record.acks === b.record.acks &&
    a.record.timeout === b.record.timeout &&
    a.record.compression === b.record.compression
  );
}

function recordBytes(record: ProducerRecord): number {
  let bytes = 0;
  for (const m of record.messages) bytes += messageBytes(m);
  return bytes;
}

function messageBytes(m: Message): number {
  return size(m.value) + size(m.key) + 64;
}

function size(value: Buffer | string | null | undefined): number {
  if (value == null) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
