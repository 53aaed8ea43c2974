import type { Label, Transaction } from '@pipeline/topology';
import type { SimEvent } from '../src/simulator/events.js';

/** Hand-made events in the simulator's shape: every fifth a label of an earlier transaction. */
export function sampleEvents(n: number, runId: string): SimEvent[] {
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i): SimEvent => {
    const customer = `C${String(i % 97).padStart(6, '0')}`;
    if (i % 5 === 4) {
      const value: Label = {
        transaction_id: `${runId}-${i - 1}`,
        customer_id: customer,
        terminal_id: `T${String(i % 31).padStart(5, '0')}`,
        is_fraud: i % 10 === 9,
        label_time: start + i * 1000,
        transaction_time: start + (i - 1) * 1000,
      };
      return { kind: 'label', time: value.label_time, value };
    }
    const value: Transaction = {
      event_id: `${runId}-${i}`,
      event_time: start + i * 1000,
      customer_id: customer,
      terminal_id: `T${String(i % 31).padStart(5, '0')}`,
      amount_minor: 100 + ((i * 37) % 100_000),
      currency: 'EUR',
      channel: i % 3 === 0 ? 'ECOM' : 'POS',
      country: 'FR',
      device_hash: i % 3 === 0 ? `d${i}` : null,
      ip_hash: null,
    };
    return { kind: 'transaction', time: value.event_time, value, scenario: null };
  });
}
