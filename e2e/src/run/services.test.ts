import { describe, expect, it } from 'vitest';
import { runNamespace } from './namespace.js';
import { consoleSpec } from './services.js';

const servers = {} as Parameters<typeof consoleSpec>[1];
const groupsOf = (useCases: ('fraud' | 'recsys')[]) => {
  const ns = runNamespace('run-1', useCases);
  return { prefix: ns.groupPrefix, groups: consoleSpec(ns, servers, [], 0).env.CONSOLE_GROUPS?.split(',') };
};

describe("the run's console", () => {
  it("watches every group the run's services join, each use case's", () => {
    const both = groupsOf(['fraud', 'recsys']);
    const p = both.prefix;
    expect(both.groups).toEqual([
      `${p}features`,
      `${p}features.labels`,
      `${p}features.recsys`,
      `${p}scorer`,
      `${p}scorer.recsys`,
      `${p}decision`,
      `${p}decision.scores`,
      `${p}decision.recsys`,
      `${p}decision.recsys.scores`,
      `${p}sink`,
    ]);
    const recsys = groupsOf(['recsys']);
    expect(recsys.groups).toEqual(
      ['features.recsys', 'scorer.recsys', 'decision.recsys', 'decision.recsys.scores', 'sink'].map(
        (g) => `${recsys.prefix}${g}`,
      ),
    );
  });
});
