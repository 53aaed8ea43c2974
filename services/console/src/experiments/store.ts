import type { ClickHouseClient } from '@pipeline/shared';
import { RequestError } from '../errors.js';
import { clickhouseRows } from '../reads.js';
import { figuresSql, looksSql, standingsSql } from './queries.js';
import {
  type Experiments,
  experimentView,
  type FigureRow,
  type LookRow,
  type StandingRow,
  standings,
} from './shape.js';

export interface ExperimentsStore {
  /** Every experiment's standing, and `experiment` (default: the one with the newest look) in detail. */
  read(experiment: string | null): Promise<Experiments>;
}

/** The experiment analysis's tables; ClickHouse not answering (or the tables missing) is a 503 naming it. */
export function createExperimentsStore(client: ClickHouseClient): ExperimentsStore {
  const rows = clickhouseRows(client);
  return {
    async read(experiment) {
      const all = standings(await rows<StandingRow>(standingsSql()));
      if (experiment !== null && !all.some((s) => s.experiment === experiment))
        throw new RequestError(404, `no experiment ${experiment} has a look recorded`);
      const chosen = experiment ?? all[0]?.experiment ?? null;
      if (chosen === null) return { standings: all, selected: null };
      const [figures, looks] = await Promise.all([
        rows<FigureRow>(figuresSql(chosen)),
        rows<LookRow>(looksSql(chosen)),
      ]);
      return { standings: all, selected: experimentView(chosen, all, figures, looks) };
    },
  };
}
