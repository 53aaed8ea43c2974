/**
 * What other packages use of the feature service: its Redis keys, so erasure (services/console's
 * `npm run erase`) removes exactly the keys the service keeps for an entity. Importing it starts nothing.
 */
export { entityKeys, entityKeysPattern, requestLookupKey, taggedKeys } from './keys.js';
