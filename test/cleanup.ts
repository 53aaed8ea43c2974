import {
  type Admin,
  createKafka,
  createRegistryClient,
  deleteSubjects,
  type KafkaSecurity,
  type SchemaRegistryClient,
} from '@pipeline/shared';
import { namesOfRun } from './run-token.js';

type DeleteGroupsResult = Awaited<ReturnType<Admin['deleteGroups']>>[number];

export type CleanupAdmin = Pick<Admin, 'listTopics' | 'deleteTopics' | 'listGroups' | 'deleteGroups'>;

export interface RunCleanup {
  topics: number;
  topicsDeleted: number;
  groups: number;
  /** Including groups gone by the time of deletion. */
  groupsDeleted: number;
  /** Groups with members still connected (say, a service process not stopped): deleting those is refused. */
  groupsActive: number;
  /** Schema Registry subjects of the run's topics. */
  subjects: number;
  subjectsDeleted: number;
  /** Other failures; the cleanup goes on past them. */
  errors: string[];
}

const CHUNK = 50;

/**
 * The integration run's teardown: deletes its topics and groups, logging one line. A failure is logged
 * and leaves the run's result alone. The timeout stays below vitest's teardownTimeout (vitest.config.ts),
 * past which vitest exits the process.
 */
export async function cleanUpRun(
  brokers: string[],
  security: KafkaSecurity,
  registryUrl: string,
  token: string,
  timeoutMs = 45_000,
): Promise<void> {
  const admin = createKafka({ brokers, clientId: `cleanup_${token}`, security }).admin();
  try {
    const cleanup = admin.connect().then(async () => {
      const result = await removeRunTopicsAndGroups(admin, token);
      await removeRunSubjects(createRegistryClient(registryUrl), token, result);
      return result;
    });
    const result = await withTimeout(cleanup, timeoutMs);
    console.log(describeCleanup(token, result));
    for (const error of result.errors) console.warn(`  integration cleanup: ${error}`);
  } catch (error) {
    console.warn(`integration cleanup for run ${token} failed, its topics stay: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Deletes the topics and consumer groups whose names carry `token`; names without it are never touched. */
export async function removeRunTopicsAndGroups(admin: CleanupAdmin, token: string): Promise<RunCleanup> {
  const result: RunCleanup = {
    topics: 0,
    topicsDeleted: 0,
    groups: 0,
    groupsDeleted: 0,
    groupsActive: 0,
    subjects: 0,
    subjectsDeleted: 0,
    errors: [],
  };
  // Groups first: deleting a topic drops its offsets, and Kafka then removes groups left with none.
  const { groups } = await admin.listGroups();
  const groupIds = namesOfRun(
    groups.map((group) => group.groupId),
    token,
  );
  result.groups = groupIds.length;
  for (const chunk of chunks(groupIds, CHUNK)) {
    try {
      await admin.deleteGroups(chunk);
      result.groupsDeleted += chunk.length;
    } catch (error) {
      // kafkajs throws for the whole chunk when some groups fail, listing those.
      const failed = failedGroups(error);
      if (failed === undefined) {
        result.errors.push(`deleting ${chunk.length} consumer groups: ${message(error)}`);
        continue;
      }
      for (const group of failed) {
        const type = group.error?.type ?? `error code ${group.errorCode}`;
        if (type === 'GROUP_ID_NOT_FOUND') result.groupsDeleted += 1;
        else if (type === 'NON_EMPTY_GROUP') result.groupsActive += 1;
        else result.errors.push(`deleting consumer group ${group.groupId}: ${type}`);
      }
      result.groupsDeleted += chunk.length - failed.length;
    }
  }
  const topics = namesOfRun(await admin.listTopics(), token);
  result.topics = topics.length;
  for (const chunk of chunks(topics, CHUNK)) {
    try {
      await admin.deleteTopics({ topics: chunk, timeout: 30_000 });
      result.topicsDeleted += chunk.length;
    } catch (error) {
      result.errors.push(`deleting ${chunk.length} topics: ${message(error)}`);
    }
  }
  return result;
}

export type CleanupRegistry = Pick<SchemaRegistryClient, 'getAllSubjects' | 'deleteSubject'>;

/** Deletes the Schema Registry subjects whose names carry `token` (each run topic's value subject). */
export async function removeRunSubjects(registry: CleanupRegistry, token: string, result: RunCleanup): Promise<void> {
  try {
    const subjects = namesOfRun(await registry.getAllSubjects(), token);
    result.subjects = subjects.length;
    result.subjectsDeleted = await deleteSubjects(registry as SchemaRegistryClient, subjects);
  } catch (error) {
    result.errors.push(`deleting schema registry subjects: ${message(error)}`);
  }
}

export function describeCleanup(token: string, result: RunCleanup): string {
  return (
    `integration cleanup for run ${token}: deleted ${result.topicsDeleted} of ${result.topics} topics, ` +
    `${result.groupsDeleted} of ${result.groups} consumer groups, ` +
    `${result.subjectsDeleted} of ${result.subjects} registry subjects` +
    (result.groupsActive > 0 ? ` (${result.groupsActive} still active)` : '') +
    (result.errors.length > 0 ? `; ${result.errors.length} errors` : '')
  );
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function failedGroups(error: unknown): DeleteGroupsResult[] | undefined {
  const { name, groups } = (error ?? {}) as { name?: unknown; groups?: unknown };
  return name === 'KafkaJSDeleteGroupsError' && Array.isArray(groups) ? groups : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
