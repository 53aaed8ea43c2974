import { fileURLToPath } from 'node:url';
import { downstreamKafkaVars, env, parseEnv, redisVars, schemaRegistryVars, serviceVars } from '@pipeline/shared';
import { fraudTopics, pipelineTopics, recsysTopics } from '@pipeline/topology';
import { DEFAULT_PREFIX } from './keys.js';

export const defaultRulesFile = fileURLToPath(new URL('../rules/fraud.yaml', import.meta.url));
export const defaultRecsysPolicyFile = fileURLToPath(new URL('../rules/recsys.yaml', import.meta.url));

/** The use cases the engine decides (use-cases/). */
export const USE_CASES = ['fraud', 'recsys'] as const;
export type UseCase = (typeof USE_CASES)[number];

/** Every variable the decision engine reads; parsed once at start, a bad one names itself. */
export const decisionVars = {
  ...serviceVars,
  ...downstreamKafkaVars,
  ...schemaRegistryVars,
  ...redisVars,
  /** Comma-separated use cases this process decides (USE_CASES), e.g. `fraud,recsys`; one engine each. */
  DECISION_USE_CASES: env
    .string()
    .transform((value, ctx) => {
      const listed = [...new Set(value.split(',').map((v) => v.trim()))];
      const unknown = listed.filter((v) => !(USE_CASES as readonly string[]).includes(v));
      // with an issue added, the value returned is not used
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown use case ${unknown.join(', ')}: one of ${USE_CASES.join(', ')}`,
        });
      }
      return listed as UseCase[];
    })
    .default(['fraud']),
  /** How long an enriched event waits for its score before rules alone decide. */
  DECISION_SCORE_BUDGET: env.duration().default(50),
  /** An event this old on arrival (the pipeline catching up after an outage) waits DECISION_CATCH_UP_BUDGET instead. */
  DECISION_CATCH_UP_AFTER: env.duration().default(1_000),
  /** How long such an event waits for its score, most likely in the backlog behind it. */
  DECISION_CATCH_UP_BUDGET: env.duration().default(5_000),
  DECISION_RULES_FILE: env.string().default(defaultRulesFile),
  /** Polling interval behind fs.watch, for filesystems where watching misses changes. */
  DECISION_RULES_POLL: env.duration().default(1000),
  /** How long a score is held for an event that has not arrived (or is waiting). */
  DECISION_SCORE_TTL: env.duration().default(600_000),
  /** How long an event's decided marker prevents a second decision (covers replay after a crash). */
  DECISION_DEDUP_TTL: env.duration().default(3_600_000),
  DECISION_GROUP_ID: env.string().default('decision'),
  DECISION_REDIS_PREFIX: env.string().default(DEFAULT_PREFIX),
  DECISION_ENRICHED_TOPIC: env.string().default(fraudTopics.enriched.name),
  DECISION_SCORES_TOPIC: env.string().default(fraudTopics.scores.name),
  DECISION_DECISIONS_TOPIC: env.string().default(fraudTopics.decisions.name),
  DECISION_DEAD_LETTER_TOPIC: env.string().default(pipelineTopics.deadLetters.name),
  /** The ranking policy of recommendations (hot-reloaded, polled like the rule file). */
  DECISION_RECSYS_POLICY_FILE: env.string().default(defaultRecsysPolicyFile),
  /** Group of the enriched-request consumer; its scores use `<group>.scores`. */
  DECISION_RECSYS_GROUP_ID: env.string().default('decision.recsys'),
  DECISION_RECSYS_ENRICHED_TOPIC: env.string().default(recsysTopics.enrichedRequests.name),
  DECISION_RECSYS_SCORES_TOPIC: env.string().default(recsysTopics.scores.name),
  DECISION_RECSYS_RECOMMENDATIONS_TOPIC: env.string().default(recsysTopics.recommendations.name),
  /** Where the start-up configuration is audited (the sink stores it in audit_log). */
  DECISION_AUDIT_TOPIC: env.string().default(pipelineTopics.audit.name),
};

export type DecisionConfig = ReturnType<typeof parseConfig>;

export function parseConfig(source: Record<string, string | undefined> = process.env) {
  return parseEnv(decisionVars, source);
}
