import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRulesFile, parseRuleSet } from '@pipeline/decision';
import { fraudFeatureSet } from '@pipeline/feature-sets';
import { defaultRegistryDir, fileRegistry, type ModelMetadata } from '@pipeline/scorer';
import { errorMessage } from '@pipeline/shared';

/** Bad input the backtest refuses before it starts anything (exit 2). */
export class BacktestInputError extends Error {}

export interface CandidateRules {
  file: string;
  text: string;
  version: string;
  /** Its rules' ids, in the file's priority order. */
  ruleIds: string[];
}

/**
 * The candidate's rule file, validated by the decision engine's own loader against the feature set
 * the engine runs on: a file the engine would refuse is refused here with the engine's message.
 */
export function loadCandidateRules(file: string | null): CandidateRules {
  const path = file ?? defaultRulesFile;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BacktestInputError(`--rules: cannot read ${path}: ${errorMessage(error)}`);
  }
  let version: string;
  let ruleIds: string[];
  try {
    const ruleSet = parseRuleSet(text, fraudFeatureSet, path);
    // A variant deciding with a challenger's score needs that model served beside the champion:
    // the backtest serves one model, the candidate.
    const named = ruleSet.experiment.variants.filter((v) => v.model !== null);
    if (named.length > 0) {
      throw new Error(
        `experiment variants naming a model (${named.map((v) => `${v.name}: ${v.model}`).join(', ')}) are not supported by the backtest; give the candidate as --model`,
      );
    }
    version = ruleSet.version;
    ruleIds = ruleSet.rules.map((r) => r.id);
  } catch (error) {
    throw new BacktestInputError(`--rules: ${errorMessage(error)}`);
  }
  return { file: path, text, version, ruleIds };
}

/** A model version of the committed registry, checked to take the feature set the pipeline serves. */
export async function candidateModel(ref: string, registryDir = defaultRegistryDir): Promise<ModelMetadata> {
  const registry = fileRegistry(registryDir);
  let meta: ModelMetadata;
  try {
    meta = await registry.metadata(ref);
  } catch {
    const known = await registry.list().then(
      (all) => all.map((m) => `${m.name}@${m.version}`).join(', '),
      () => 'none readable',
    );
    throw new BacktestInputError(`--model: ${ref} is not in the model registry ${registryDir} (known: ${known})`);
  }
  const set = meta.feature_set;
  if (set.name !== fraudFeatureSet.name || set.version !== fraudFeatureSet.version) {
    throw new BacktestInputError(
      `--model: ${ref} takes feature set ${set.name} v${set.version}; the pipeline serves ${fraudFeatureSet.name} v${fraudFeatureSet.version}`,
    );
  }
  return meta;
}

/**
 * A registry of the run's own under `dir`: the candidate's version copied from the committed
 * registry and promoted to champion, nothing else served. The committed registry is only read.
 */
export async function candidateRegistry(ref: string, dir: string, registryDir = defaultRegistryDir): Promise<string> {
  const meta = await candidateModel(ref, registryDir);
  const target = join(dir, meta.name, meta.version);
  mkdirSync(target, { recursive: true });
  cpSync(join(registryDir, meta.name, meta.version), target, { recursive: true });
  await fileRegistry(dir).promote(ref, 'champion', { by: 'backtest', why: 'the backtest candidate' });
  return dir;
}
