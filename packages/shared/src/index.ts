export {
  AUDIT_ACTIONS,
  AUDIT_COLUMNS,
  type AuditAction,
  type AuditEntry,
  type AuditMessage,
  type AuditRow,
  type AuditSink,
  auditMessage,
  auditMessageProblem,
  auditRow,
  auditRowOfMessage,
  auditSink,
  auditValue,
  configAudit,
  insertAuditOnce,
  insertAuditSql,
  recordAudit,
} from './audit/audit.js';
export { perTurn } from './batching/per-turn.js';
export { type ClickHouseClient, type ClickHouseTarget, createClickHouse } from './clickhouse/client.js';
export {
  type Migration,
  MigrationError,
  migrate,
  migrationsDir,
  readMigrations,
  splitStatements,
} from './clickhouse/migrations.js';
export {
  applyRetention,
  lastDay,
  type Partition,
  type PartitionParts,
  partitionsToDrop,
  partitionsToSettle,
  settlePartitions,
  startRetention,
} from './clickhouse/retention.js';
export { serviceClickHouse } from './clickhouse/service.js';
export { identifier, literal, quoteString, raw, SqlFragment, type SqlValue, sql } from './clickhouse/sql.js';
export {
  clickhouseVars,
  consumerTuning,
  downstreamKafkaVars,
  type KafkaSecurityConfig,
  kafkaSecurity,
  kafkaSecurityOf,
  kafkaSecurityVars,
  kafkaVars,
  redisVars,
  schemaRegistryVars,
  serviceKafka,
  serviceVars,
} from './config/common.js';
export { env, parseDuration, parseEnv } from './config/env.js';
export {
  type BatchConsumer,
  type BatchConsumerOptions,
  type BatchContext,
  type BatchHandler,
  type ConsumedRecord,
  type ConsumerTuning,
  createBatchConsumer,
  DEFAULT_SESSION,
  type DurableBatch,
  decodeBatch,
  type FetchedPartition,
  type FetchTimes,
  type FetchTuning,
  type HandlerResult,
  type LateRejections,
  type SessionTuning,
} from './consumer/batch-consumer.js';
export {
  createDeadLetterPublisher,
  type DeadLetter,
  type DeadLetterPublisher,
  MAX_ORIGINAL_BYTES,
  type Rejected,
  toDeadLetter,
} from './dead-letter/dead-letter.js';
export * from './errors.js';
export { type HealthServer, type ReadinessCheck, startHealthServer } from './health/server.js';
export {
  type Access,
  ANONYMOUS,
  type AuthFailure,
  type AuthOutcome,
  authenticateToken,
  type BearerResult,
  bearerToken,
  createHttpAuth,
  type HttpAuth,
  type HttpAuthOptions,
  httpAuthTokens,
  newToken,
  type Principal,
  parseTokenEntries,
  permits,
  REALM,
  ROLES,
  type Role,
  sha256,
  type TokenEntry,
  tokenEntry,
} from './http/auth.js';
export {
  createRouter,
  examplePath,
  type Match,
  type Method,
  type Route,
  type RouteContext,
  type Router,
  type RouteSpec,
} from './http/router.js';
export {
  type Admin,
  type Consumer,
  createKafka,
  createProducer,
  type IHeaders,
  KAFKA_SECURITY_PROTOCOLS,
  type Kafka,
  type KafkaMessage,
  type KafkaSecurity,
  kafkajs,
  type Producer,
} from './kafka/client.js';
export {
  carriedHeaders,
  INGEST_TIME_HEADER,
  PUBLISH_TIME_HEADER,
  readIngestTime,
  readPublishTime,
} from './kafka/headers.js';
export { requestCounter } from './kafka/request-counts.js';
export { type EnsureTopicsResult, ensureTopics, type TopicSpec } from './kafka/topics.js';
export { createPolling, type Polling, type PollingOptions } from './lifecycle/polling.js';
export { EXIT_CONFIG, runMain } from './lifecycle/run-main.js';
export { createShutdown, type Shutdown } from './lifecycle/shutdown.js';
export { createLogger, type Logger } from './logging/logger.js';
export {
  createTokenizer,
  isToken,
  PII_KEYS_VAR,
  type PiiKind,
  parseKeyRing,
  piiVars,
  type Tokenizer,
  type TokenKey,
  tokenizerFromEnv,
  withKeyRing,
} from './pii/tokens.js';
export {
  bySlot,
  connectRedis,
  createRedisClient,
  dataNodes,
  deleteMatching,
  execPipelined,
  getMany,
  getManyBuffers,
  type KeyedCommand,
  type RedisClient,
  type RedisClientOptions,
  type RedisTarget,
  redisTls,
  scanKeys,
} from './redis/client.js';
export { globEscape } from './redis/glob.js';
export { type AvroSerde, createAvroSerde, type Decoder, type Encoder } from './serde/avro-serde.js';
export { logicalTypes, parseAvroSchema } from './serde/logical-types.js';
export {
  Compatibility,
  createRegistryClient,
  deleteSubjects,
  registerSchema,
  registryError,
  SchemaRegistryClient,
} from './serde/registry.js';
export { frame, HEADER_SIZE, MAGIC_BYTE, readSchemaId } from './serde/wire-format.js';
export { startTelemetry, type Telemetry } from './telemetry/telemetry.js';
