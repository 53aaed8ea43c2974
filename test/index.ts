export { createTopic, readMessages, testKafka } from './kafka.js';
export { type Servers, servers, uniqueName } from './servers.js';
