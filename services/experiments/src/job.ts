import type { ModelRegistry } from '@pipeline/scorer';
import { type ClickHouseClient, createPolling, errorMessage, type Logger } from '@pipeline/shared';
import type { ExperimentDecision } from '@pipeline/topology';
import type { ExperimentsConfig } from './config.js';
import { type ExperimentDefinition, experimentProblem, readExperiment } from './experiment.js';
import { analyseLook, DAY, type LookSettings, type Timeline } from './look.js';
import type { DecisionPublisher } from './publisher.js';
import * as store from './store.js';
import { USE_CASES } from './use-case.js';

export type JobSettings = Pick<
  ExperimentsConfig,
  | 'SERVICE_NAME'
  | 'EXPERIMENTS_USE_CASE'
  | 'EXPERIMENTS_RULES_FILE'
  | 'EXPERIMENTS_CONTROL'
  | 'EXPERIMENTS_START'
  | 'EXPERIMENTS_DAYS'
  | 'EXPERIMENTS_LABEL_LAG'
  | 'EXPERIMENTS_BASELINE_DAYS'
  | 'EXPERIMENTS_ALPHA'
  | 'EXPERIMENTS_POWER'
  | 'EXPERIMENTS_MIN_UNITS'
  | 'EXPERIMENTS_MARGINS'
  | 'EXPERIMENTS_CHAMPION_LIMITS'
  | 'EXPERIMENTS_PROMOTION'
  | 'EXPERIMENTS_ROLLBACK'
  | 'EXPERIMENTS_POLL'
  | 'EXPERIMENTS_MAX_ROWS'
  | 'EXPERIMENTS_POWER_SIMS'
>;

export interface JobDeps {
  clickhouse: ClickHouseClient;
  publisher: DecisionPublisher;
  registry: ModelRegistry;
  logger: Logger;
  settings: JobSettings;
  now?: () => number;
}

export interface LookResult {
  experiment: string;
  asOf: number;
  decisions: ExperimentDecision[];
  results: store.ResultRow[];
  /** Set when the experiment cannot be analysed (none declared, one variant, no data): nothing was written. */
  problem?: string;
}

export interface ExperimentJob {
  /** Analyses the experiment as of `asOf` (event time): figures, verdicts, policy, records. */
  runLook(asOf: number): Promise<LookResult>;
  /** Runs every daily look that is due, oldest first. */
  runDue(): Promise<LookResult[]>;
  start(): void;
  stop(): Promise<void>;
  readonly healthy: boolean;
}

export function createExperimentJob(deps: JobDeps): ExperimentJob {
  const { clickhouse, publisher, registry, logger, settings: s } = deps;
  const now = deps.now ?? Date.now;
  const alpha = s.EXPERIMENTS_ALPHA;
  const control = s.EXPERIMENTS_CONTROL;
  const useCase = USE_CASES[s.EXPERIMENTS_USE_CASE];
  const log = useCase.log;
  const lookSettings: LookSettings = {
    control,
    alpha,
    power: s.EXPERIMENTS_POWER,
    days: s.EXPERIMENTS_DAYS,
    baselineDays: s.EXPERIMENTS_BASELINE_DAYS,
    powerSims: s.EXPERIMENTS_POWER_SIMS,
    minUnits: s.EXPERIMENTS_MIN_UNITS,
    margins: s.EXPERIMENTS_MARGINS,
    championLimits: s.EXPERIMENTS_CHAMPION_LIMITS,
    promotion: s.EXPERIMENTS_PROMOTION,
    rollback: s.EXPERIMENTS_ROLLBACK,
    by: s.SERVICE_NAME,
    maxRows: s.EXPERIMENTS_MAX_ROWS,
  };

  /** The experiment and its timeline, or why it cannot be analysed. */
  async function resolve(): Promise<
    { def: ExperimentDefinition; timeline: Timeline; problem?: undefined } | { problem: string; name: string }
  > {
    let def: ExperimentDefinition | null;
    try {
      def = readExperiment(s.EXPERIMENTS_RULES_FILE);
    } catch (error) {
      // The rules hot-reload: a file broken after the start is reported, not fatal.
      return { problem: errorMessage(error), name: '(unreadable rules)' };
    }
    const problem = experimentProblem(def, control);
    if (problem || !def) return { problem: problem ?? 'no experiment', name: def?.name ?? '(none)' };
    const challengers = def.variants.filter((v) => v.name !== control).map((v) => v.name);
    const times = await store.decisionTimes(clickhouse, challengers, log);
    const start = s.EXPERIMENTS_START ?? times?.first;
    if (start === undefined) {
      return { problem: `no decisions of ${challengers.join(', ')} logged yet: nothing to analyse`, name: def.name };
    }
    const lag = useCase.labelLag ? s.EXPERIMENTS_LABEL_LAG : 0;
    return { def, timeline: { start, end: start + s.EXPERIMENTS_DAYS * DAY, lag } };
  }

  function problemResult(name: string, asOf: number, problem: string): LookResult {
    logger.warn({ experiment: name, problem }, 'experiment not analysed');
    return { experiment: name, asOf, decisions: [], results: [], problem };
  }

  async function runLook(asOf: number): Promise<LookResult> {
    const resolved = await resolve();
    if (resolved.problem !== undefined) return problemResult(resolved.name, asOf, resolved.problem);
    const { def, timeline } = resolved;
    const emittedAt = now();
    const { results, decisions } = await analyseLook(
      clickhouse,
      registry,
      useCase,
      def,
      timeline,
      asOf,
      lookSettings,
      emittedAt,
    );
    // Figures first, then the messages, then the decisions that mark the look done: a crash in
    // between runs the look again with the same ids (the registry operations skip what is done).
    await store.insertResults(clickhouse, results, emittedAt);
    await publisher.publish(decisions);
    await store.insertDecisions(clickhouse, decisions, emittedAt);
    for (const d of decisions) {
      logger.info(
        {
          experiment: def.name,
          variant: d.variant,
          asOf: new Date(asOf).toISOString(),
          verdict: d.verdict,
          recommendation: d.recommendation,
          action: d.action_status,
          detail: d.action_detail,
          pValue: d.min_p_value,
        },
        'experiment look',
      );
    }
    return { experiment: def.name, asOf, decisions, results };
  }

  async function runDue(): Promise<LookResult[]> {
    const resolved = await resolve();
    if (resolved.problem !== undefined) return [problemResult(resolved.name, now(), resolved.problem)];
    const { def, timeline: t } = resolved;
    const last = await store.lastLook(clickhouse, def.name);
    const newest = (await store.newestDecision(clickhouse, log)) ?? 0;
    const out: LookResult[] = [];
    // Daily looks at start + k days, once event time has passed them, until the last day's labels are in.
    for (
      let asOf = last !== undefined ? last + DAY : t.start + DAY;
      asOf <= newest && asOf <= t.end + t.lag;
      asOf += DAY
    ) {
      if (polling.stopped) break;
      out.push(await runLook(asOf));
    }
    return out;
  }

  const polling = createPolling({
    run: () => runDue(),
    intervalMs: s.EXPERIMENTS_POLL,
    logger,
    failure: 'experiment analysis failed; retrying at the next poll',
  });

  return {
    runLook,
    runDue,
    start: polling.start,
    stop: polling.stop,
    get healthy() {
      return polling.healthy;
    },
  };
}
