export { createTopic, readMessages, testKafka } from './kafka.js';
export { SERVER_VARS, type Servers, servers, uniqueName } from './servers.js';
