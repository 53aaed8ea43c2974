import type { Label, Transaction } from '@pipeline/topology';

/** The fraud scenarios the simulator injects; each fraudulent transaction carries exactly one. */
export type FraudScenario = 'large_amount' | 'compromised_terminal' | 'compromised_card' | 'velocity_burst';

export const FRAUD_SCENARIOS: readonly FraudScenario[] = [
  'large_amount',
  'compromised_terminal',
  'compromised_card',
  'velocity_burst',
];

/** Opt-in patterns outside the rate-controlled scenarios (see `cardTesting` in config.ts). */
export type ExtraScenario = 'card_testing';

/**
 * What the simulator yields, in non-decreasing event-time order: `time` is the transaction's
 * event_time or the label's label_time. `scenario` is ground truth for tests and datasets; it is
 * never published (producers do not know it).
 */
export type SimEvent =
  | { kind: 'transaction'; time: number; value: Transaction; scenario: FraudScenario | ExtraScenario | null }
  | { kind: 'label'; time: number; value: Label };
