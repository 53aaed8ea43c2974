import { describe, expect, it } from 'vitest';
import { createApiKeys } from '../../../services/api/src/keys.js';
import { createKeys } from '../../../services/decision/src/keys.js';
import {
  entityKeys,
  frontierKey,
  labelProgressKey,
  terminalTokenKey,
  watermarkKey,
} from '../../../services/features/src/keys.js';
import { redisAclFile, SERVICE_COMMANDS, serviceKeyPatterns } from './redis-acl.js';

/** Redis glob `prefix*` as a test: the patterns here are all of that form. */
const matches = (pattern: string, key: string) => pattern.endsWith('*') && key.startsWith(pattern.slice(0, -1));
const allowed = (patterns: string[], key: string) => patterns.some((p) => matches(p, key));

describe('Redis ACLs from the services key modules', () => {
  const patterns = serviceKeyPatterns();

  it('cover every key each service builds at its default prefix', () => {
    const features = [
      ...Object.values(entityKeys('f:', 'customer', 'c1')),
      ...Object.values(entityKeys('f:', 'terminal', 't1')),
      watermarkKey('f:', 'features', 'transactions', 0),
      labelProgressKey('f:', 'features.labels', 'labels'),
      frontierKey('f:', 'features', 'transactions'),
      terminalTokenKey('f:', 'tok_k1_0123456789abcdef0123456789abcdef'),
    ];
    for (const key of features) expect(allowed(patterns.features, key), key).toBe(true);
    const decision = Object.values(createKeys()).map((build) => build('c1', 'e1'));
    for (const key of decision) expect(allowed(patterns.decision, key), key).toBe(true);
    const api = Object.values(createApiKeys()).map((build) => build('e1'));
    // The API also joins the engine's state.
    for (const key of [...api, ...decision]) expect(allowed(patterns.api, key), key).toBe(true);
  });

  it("keep each service out of the others' keys", () => {
    const featureKey = entityKeys('f:', 'customer', 'c1').state;
    expect(allowed(patterns.decision, featureKey)).toBe(false);
    expect(allowed(patterns.api, featureKey)).toBe(false);
    expect(allowed(patterns.features, createKeys().decided('c1', 'e1'))).toBe(false);
    expect(allowed(patterns.decision, createApiKeys().claim('e1'))).toBe(false);
  });

  it('follow the configured prefixes', () => {
    expect(serviceKeyPatterns({ features: 'run1:f:', decision: 'run1:d:', api: 'run1:a:' })).toEqual({
      features: ['run1:f:*'],
      decision: ['run1:d:*'],
      api: ['run1:a:*', 'run1:d:*'],
    });
  });

  it('write a file with the default user off, an admin, and services without dangerous commands', () => {
    const file = redisAclFile({ admin: 'A', features: 'F', decision: 'D', api: 'P' });
    const lines = file.trim().split('\n');
    expect(lines[0]).toBe('user default off resetkeys resetchannels -@all');
    expect(lines[1]).toBe('user admin on >A ~* &* +@all');
    expect(lines).toContain(`user features on >F ~f:* resetchannels ${SERVICE_COMMANDS.join(' ')}`);
    expect(lines).toContain(`user api on >P ~api:* ~decision:* resetchannels ${SERVICE_COMMANDS.join(' ')}`);
    // -@dangerous comes after the categories that grant: FLUSHALL, KEYS, CONFIG stay refused.
    expect(SERVICE_COMMANDS.indexOf('-@dangerous')).toBeGreaterThan(SERVICE_COMMANDS.indexOf('+@keyspace'));
  });
});
