import type { Transaction } from '@pipeline/topology';
import type { FeatureDef } from './dsl.js';

const HOUR = 3_600_000;

/**
 * Value of an event feature (or NaN for a feature that is not one). Calendar features are in UTC:
 * event times are UTC and the terminal's zone is not in the event.
 */
export function eventValue(feature: FeatureDef, tx: Transaction): number {
  const hour = Math.floor((tx.event_time % 86_400_000) / HOUR);
  switch (feature.kind) {
    case 'event':
      switch (feature.field) {
        case 'hour_of_day':
          return hour;
        case 'is_weekend': {
          const day = new Date(tx.event_time).getUTCDay();
          return day === 0 || day === 6 ? 1 : 0;
        }
        case 'is_night':
          return hour < 6 || hour >= 22 ? 1 : 0;
        case 'amount':
          return tx.amount_minor;
      }
      break;
    case 'one_hot':
      return tx[feature.field] === feature.value ? 1 : 0;
    case 'category_index':
      return feature.vocabulary.indexOf(tx[feature.field]);
  }
  return Number.NaN;
}
