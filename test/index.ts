export { allRefused, bearer, type RouteRefusal, refusalsOf, type TestPrincipals, testPrincipals } from './http-auth.js';
export { createTopic, readMessages, testKafka } from './kafka.js';
export { type RedisCluster, startRedisCluster } from './redis-cluster.js';
export { mlflowUri, type Servers, securityEnv, servers, uniqueName } from './servers.js';
