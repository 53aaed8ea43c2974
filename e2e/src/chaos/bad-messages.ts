import { Random } from '@pipeline/loadtest';
import { type Encoder, frame, HEADER_SIZE } from '@pipeline/shared';
import type { Label, Transaction } from '@pipeline/topology';

/** What goes wrong with a message, each kind refused by a different check. */
export const BAD_KINDS = [
  'random-bytes',
  'truncated-frame',
  'unknown-schema-id',
  'other-schema',
  'absurd-values',
] as const;
export type BadKind = (typeof BAD_KINDS)[number];

export interface BadMessage {
  /** `bad:<kind>:<n>`: the dead letter carries it back, so each one is accounted for. */
  key: string;
  value: Buffer;
  kind: BadKind;
}

const UNKNOWN_SCHEMA_ID = 2_000_000_000;

/** Values the contract refuses, in a well-formed transaction (the feature service's checks). */
const ABSURD: ((tx: Transaction) => Transaction)[] = [
  (tx) => ({ ...tx, amount_minor: -5 }),
  (tx) => ({ ...tx, amount_minor: 1e15 }),
  (tx) => ({ ...tx, currency: 'EURO' }),
  (tx) => ({ ...tx, country: 'PRT' }),
  (tx) => ({ ...tx, event_time: Date.UTC(2150, 0, 1) }),
  (tx) => ({ ...tx, customer_id: `${tx.customer_id}\u0000` }),
  (tx) => ({ ...tx, terminal_id: `\u202e${tx.terminal_id}` }),
  (tx) => ({ ...tx, event_id: '' }),
  (tx) => ({ ...tx, device_hash: 'd'.repeat(100_000) }),
];

function absurd(i: number, tx: Transaction): Transaction {
  return (ABSURD[i % ABSURD.length] as (typeof ABSURD)[number])(tx);
}

/** The kind of a bad message from its key, or undefined for any other key. */
export function kindOfKey(key: string): BadKind | undefined {
  const kind = /^bad:([a-z-]+):\d+$/.exec(key)?.[1];
  return (BAD_KINDS as readonly string[]).includes(kind ?? '') ? (kind as BadKind) : undefined;
}

/**
 * `count` malformed messages for the transactions topic, the kinds in turn: random bytes, a valid
 * frame cut short, an unknown schema id, a label (another schema), a transaction with absurd
 * values. `samples` are real transactions of the run, to corrupt.
 */
export function badMessages(options: {
  count: number;
  seed: number;
  samples: readonly Transaction[];
  transaction: Encoder<Transaction>;
  label: Encoder<Label>;
}): BadMessage[] {
  const { samples } = options;
  if (samples.length === 0) throw new Error('bad messages need sample transactions to corrupt');
  const random = new Random(options.seed, 7);
  const pick = () => samples[random.uint32() % samples.length] as Transaction;
  const out: BadMessage[] = [];
  for (let n = 0; n < options.count; n++) {
    const kind = BAD_KINDS[n % BAD_KINDS.length] as BadKind;
    const tx = pick();
    let value: Buffer;
    switch (kind) {
      case 'random-bytes': {
        value = Buffer.alloc(1 + (random.uint32() % 200));
        for (let i = 0; i < value.length; i++) value[i] = random.uint32() & 0xff;
        value[0] = 0x80 | (value[0] as number); // never the wire format's magic byte 0
        break;
      }
      case 'truncated-frame': {
        const whole = options.transaction.encode(tx);
        value = whole.subarray(0, HEADER_SIZE + (random.uint32() % (whole.length - HEADER_SIZE - 1)));
        break;
      }
      case 'unknown-schema-id':
        value = frame(UNKNOWN_SCHEMA_ID, options.transaction.encode(tx).subarray(HEADER_SIZE));
        break;
      case 'other-schema':
        value = options.label.encode({
          transaction_id: tx.event_id,
          customer_id: tx.customer_id,
          terminal_id: tx.terminal_id,
          is_fraud: false,
          label_time: tx.event_time,
          transaction_time: tx.event_time,
        });
        break;
      case 'absurd-values':
        value = options.transaction.encode(absurd(Math.floor(n / BAD_KINDS.length), tx));
        break;
    }
    out.push({ key: `bad:${kind}:${n}`, value, kind });
  }
  return out;
}
