import { readFileSync } from 'node:fs';
import { ConfigError } from '@pipeline/shared';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * The experiment as the decision engine runs it: the `experiment:` block of its rules file (name,
 * variants, shares, the model deciding for each). Only that block is read here; the engine's loader
 * validates the whole file.
 */
export interface ExperimentDefinition {
  name: string;
  variants: { name: string; share: number; model: string | null }[];
}

const block = z.object({
  experiment: z
    .object({
      name: z.string(),
      variants: z.array(
        z.object({ name: z.string(), share: z.number(), model: z.string().nullable().optional() }).loose(),
      ),
    })
    .loose()
    .optional(),
});

/** The rules file's experiment, or null when it declares none. A file that is not YAML is a configuration error. */
export function readExperiment(file: string): ExperimentDefinition | null {
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(['EXPERIMENTS_RULES_FILE'], `EXPERIMENTS_RULES_FILE ${file}: ${(error as Error).message}`);
  }
  const result = block.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(
      ['EXPERIMENTS_RULES_FILE'],
      `EXPERIMENTS_RULES_FILE ${file}: experiment.${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'}`,
    );
  }
  const e = result.data.experiment;
  if (!e) return null;
  return { name: e.name, variants: e.variants.map((v) => ({ name: v.name, share: v.share, model: v.model ?? null })) };
}

/** Why an experiment cannot be analysed as declared (a clear result, not a crash), or null. */
export function experimentProblem(e: ExperimentDefinition | null, control: string): string | null {
  if (!e) return 'the rules declare no experiment: every decision is variant "control"';
  if (!e.variants.some((v) => v.name === control)) {
    return `experiment ${e.name} has no variant '${control}' (EXPERIMENTS_CONTROL); variants: ${e.variants.map((v) => v.name).join(', ')}`;
  }
  if (e.variants.length < 2) return `experiment ${e.name} has one variant (${control}): nothing to compare`;
  return null;
}
