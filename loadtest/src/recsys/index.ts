/**
 * The seeded recommendation simulator: users and items with latent tastes, popularity and drift,
 * sessions of views, clicks, cart adds and purchases in event time, recommendation requests and
 * their attributed labels, and a held-out evaluation split.
 *
 *   for (const event of simulateRecsys({ seed: 7, users: 500, days: 7 })) { ... }
 */
export { defaultRecsysConfig, type RecsysConfig, type RecsysConfigInput, validateRecsysConfig } from './config.js';
export { heldOutClicks, type RecsysEvent, recsysWorld, type Split, simulateRecsys } from './simulate.js';
export { affinity, type World } from './world.js';
