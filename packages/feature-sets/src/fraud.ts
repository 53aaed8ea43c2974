import { agg, amountRelativeToMean, eventFeatures, featureSet, groupBy, sincePrev } from './dsl.js';

export const CHANNELS = ['POS', 'ECOM', 'ATM', 'MOTO'] as const;
/** Countries the model knows by position; any other country encodes as -1. */
export const COUNTRIES = ['PT', 'ES', 'FR', 'IT', 'AT', 'DE', 'BE', 'NL', 'FI'] as const;

/**
 * The fraud feature set. Its `names` order is the model's input contract: changing a declaration
 * means a new version (and a model trained on it), never an edit in place.
 */
/**
 * Version 2: terminal fraud rates are shares of the terminal's transactions a week before (delay
 * 7d: the simulator finds about 92 % of frauds within 7 days, lognormal median 3.5 days, sigma
 * 0.5), counting their fraud labels known by the transaction's time (see `agg`'s delay). Version 1
 * divided the labels that arrived in the window, about earlier transactions, by the window's
 * transactions: values above 1 were seen.
 */
export const fraudFeatureSet = featureSet({
  name: 'fraud_core',
  version: 2,
  features: [
    groupBy({
      entity: 'customer',
      aggs: [
        agg('amount', ['count', 'sum', 'mean', 'max'], ['1h', '1d', '7d', '30d']),
        agg('terminal', 'distinct', ['1d', '7d']),
      ],
      derived: [sincePrev(), amountRelativeToMean('30d')],
    }),
    groupBy({
      entity: 'terminal',
      aggs: [
        agg('transaction', 'count', ['1d', '7d', '30d']),
        agg('fraud', 'rate', ['1d', '7d', '30d'], { delay: '7d' }),
      ],
    }),
    eventFeatures({
      fields: ['hour_of_day', 'is_weekend', 'is_night', 'amount'],
      oneHot: [{ field: 'channel', vocabulary: CHANNELS }],
      index: [{ field: 'country', vocabulary: COUNTRIES }],
    }),
  ],
});
