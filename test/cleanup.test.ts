import { describe, expect, it } from 'vitest';
import {
  type CleanupAdmin,
  type CleanupRegistry,
  chunks,
  describeCleanup,
  type RunCleanup,
  removeRunSubjects,
  removeRunTopicsAndGroups,
} from './cleanup.js';
import { belongsToRun, nameInRun, namesOfRun, newRunToken } from './run-token.js';

const mine = newRunToken();
const other = newRunToken();

describe('names of a run', () => {
  it('are short, and valid for topics, groups, subjects and ClickHouse tables', () => {
    const name = nameInRun('dead_letters', mine);
    expect(name).toMatch(/^dead_letters_[0-9a-z]{12}_[0-9a-z]{6}$/);
    expect(nameInRun('x', undefined)).toMatch(/^x_[0-9a-z]{8}_[0-9a-z]{6}$/);
  });

  it("selects this run's names and names built around them, and nothing of another run", () => {
    const ours = [nameInRun('tx', mine), nameInRun('gate-group.labels', mine), nameInRun('sink_retention', mine)];
    const derived = `reader-${ours[0]}-1764000000000`;
    const theirs = [nameInRun('tx', other), `reader-${nameInRun('tx', other)}-1764000000000`];
    const untagged = [nameInRun('tx', undefined), 'decisions', '__consumer_offsets', 'bad_tx_mwtyk5rc_y78qln'];
    expect(namesOfRun([...theirs, ...ours, ...untagged, derived], mine)).toEqual([...ours, derived]);
    expect(namesOfRun([...theirs, ...ours, ...untagged, derived], other)).toEqual(theirs);
  });

  it('tells apart runs started in the same millisecond', () => {
    const now = Date.now();
    const [a, b] = [newRunToken(now), newRunToken(now)] as [string, string];
    expect(a).not.toBe(b);
    expect(belongsToRun(nameInRun('t', a), b)).toBe(false);
  });

  it('selects nothing for a malformed token', () => {
    const names = [nameInRun('t', mine), 'a__b', 'a_b_c'];
    for (const token of ['', '_', 'short', `${mine}_`]) expect(namesOfRun(names, token)).toEqual([]);
  });
});

/**
 * A broker holding `topics` and `groups`, failing as Kafka does for groups with members (`active`) or
 * removed meanwhile (`gone`).
 */
function fakeAdmin(topics: string[], groups: string[], active: string[] = [], gone: string[] = []) {
  const calls: string[] = [];
  const deletedTopics: string[][] = [];
  const deletedGroups: string[] = [];
  const failure = (groupId: string) =>
    active.includes(groupId)
      ? { groupId, errorCode: 68, error: { type: 'NON_EMPTY_GROUP' } }
      : gone.includes(groupId)
        ? { groupId, errorCode: 69, error: { type: 'GROUP_ID_NOT_FOUND' } }
        : undefined;
  const admin: CleanupAdmin = {
    listTopics: async () => [...topics],
    deleteTopics: async ({ topics: chunk }) => {
      calls.push('deleteTopics');
      deletedTopics.push(chunk);
    },
    listGroups: async () => ({ groups: groups.map((groupId) => ({ groupId, protocolType: 'consumer' })) }),
    deleteGroups: async (ids) => {
      calls.push('deleteGroups');
      const failed = ids.flatMap((id) => failure(id) ?? []);
      deletedGroups.push(...ids.filter((id) => failure(id) === undefined));
      if (failed.length === 0) return ids.map((groupId) => ({ groupId, errorCode: 0 }));
      throw Object.assign(new Error('Error in DeleteGroups'), { name: 'KafkaJSDeleteGroupsError', groups: failed });
    },
  };
  return { admin, calls, deletedTopics, deletedGroups };
}

describe('removeRunTopicsAndGroups', () => {
  it("deletes the run's topics in chunks and its idle groups, and leaves other runs' alone", async () => {
    const ours = Array.from({ length: 120 }, (_, i) => nameInRun(`t${i}`, mine));
    const theirs = [nameInRun('tx', other), nameInRun('dlq', undefined), 'decisions'];
    const [idle = '', active = '', gone = ''] = ['reader', 'scorer', 'sink'].map((p) => nameInRun(p, mine));
    const theirGroups = [nameInRun('reader', other)];
    const broker = fakeAdmin([...theirs, ...ours], [...theirGroups, idle, active, gone], [active], [gone]);

    const result = await removeRunTopicsAndGroups(broker.admin, mine);

    expect(broker.deletedTopics.map((chunk) => chunk.length)).toEqual([50, 50, 20]);
    expect(broker.deletedTopics.flat().sort()).toEqual([...ours].sort());
    expect(broker.deletedGroups).toEqual([idle]);
    // Groups before topics: Kafka drops a group once the topics of all its offsets are deleted.
    expect(broker.calls[0]).toBe('deleteGroups');
    expect(result).toEqual({
      topics: 120,
      topicsDeleted: 120,
      groups: 3,
      groupsDeleted: 2,
      groupsActive: 1,
      subjects: 0,
      subjectsDeleted: 0,
      errors: [],
    });
    expect(describeCleanup(mine, result)).toBe(
      `integration cleanup for run ${mine}: deleted 120 of 120 topics, 2 of 3 consumer groups, ` +
        '0 of 0 registry subjects (1 still active)',
    );
  });

  it('goes on past a failed chunk and reports it', async () => {
    const ours = Array.from({ length: 60 }, (_, i) => nameInRun(`t${i}`, mine));
    const broker = fakeAdmin(ours, []);
    let calls = 0;
    const admin: CleanupAdmin = {
      ...broker.admin,
      deleteTopics: async (request) => {
        calls += 1;
        if (calls === 1) throw new Error('REQUEST_TIMED_OUT');
        await broker.admin.deleteTopics(request);
      },
    };
    const result = await removeRunTopicsAndGroups(admin, mine);
    expect(result.topicsDeleted).toBe(10);
    expect(result.errors).toEqual(['deleting 50 topics: REQUEST_TIMED_OUT']);
  });

  it('splits into chunks', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 2)).toEqual([]);
  });
});

describe('removeRunSubjects', () => {
  const empty = (): RunCleanup => ({
    topics: 0,
    topicsDeleted: 0,
    groups: 0,
    groupsDeleted: 0,
    groupsActive: 0,
    subjects: 0,
    subjectsDeleted: 0,
    errors: [],
  });

  it("deletes the run's subjects for good (soft, then permanent) and leaves other runs' alone", async () => {
    const ours = [`${nameInRun('tx', mine)}-value`, `${nameInRun('dlq', mine)}-value`];
    const theirs = [`${nameInRun('tx', other)}-value`, 'fraud.transactions-value'];
    const calls: string[] = [];
    const registry: CleanupRegistry = {
      getAllSubjects: async () => [...theirs, ...ours],
      deleteSubject: async (subject, permanent) => {
        calls.push(`${subject}${permanent ? ' permanently' : ''}`);
        return [1];
      },
    };
    const result = empty();
    await removeRunSubjects(registry, mine, result);
    expect(calls).toEqual(ours.flatMap((s) => [s, `${s} permanently`]));
    expect(result).toMatchObject({ subjects: 2, subjectsDeleted: 2, errors: [] });
  });

  it('reports a registry that fails, and leaves the rest of the cleanup alone', async () => {
    const registry: CleanupRegistry = {
      getAllSubjects: async () => {
        throw new Error('connect ECONNREFUSED');
      },
      deleteSubject: async () => [],
    };
    const result = empty();
    await removeRunSubjects(registry, mine, result);
    expect(result.errors).toEqual(['deleting schema registry subjects: connect ECONNREFUSED']);
  });
});
