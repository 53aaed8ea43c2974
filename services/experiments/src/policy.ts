import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRegistry, type ModelRegistry, parseRef } from '@pipeline/scorer';
import { errorMessage } from '@pipeline/shared';
import type { ActionStatus, ExperimentRecommendation, PolicyMode } from '@pipeline/topology';

/**
 * What the policy does with a recommendation. Promotion and rollback go through the model
 * registry's own operations (`promote`/`rollback` of @pipeline/scorer's file registry, as
 * `npm run model` and the console), so each change lands in the alias file's history with who and
 * why. RECOMMEND only says it; DRY_RUN runs the same operation on a scratch copy of the registry's
 * alias file (nothing in the real registry changes) and reports the outcome; ACT does it.
 */

export interface PolicyRequest {
  recommendation: ExperimentRecommendation;
  mode: PolicyMode;
  /** name@version deciding for the challenger (promotion target) and for the control (the champion to roll back). */
  variantModel: string;
  controlModel: string;
  /** Written to the registry history: who (the service) and why (the experiment's verdict). */
  by: string;
  why: string;
}

export interface PolicyOutcome {
  status: ActionStatus;
  detail: string;
}

/**
 * A scratch registry holding a copy of the alias file and of the one version's metadata the
 * operation reads: the real operation runs on it, and the copy is deleted.
 */
async function onScratchCopy<T>(dir: string, ref: string | null, op: (r: ModelRegistry) => Promise<T>): Promise<T> {
  const scratch = mkdtempSync(join(tmpdir(), 'experiments-dry-run-'));
  try {
    if (existsSync(join(dir, 'aliases.json'))) copyFileSync(join(dir, 'aliases.json'), join(scratch, 'aliases.json'));
    if (ref) {
      const { name, version } = parseRef(ref);
      const from = join(dir, name, version, 'metadata.json');
      if (existsSync(from)) {
        mkdirSync(join(scratch, name, version), { recursive: true });
        copyFileSync(from, join(scratch, name, version, 'metadata.json'));
      }
    }
    return await op(fileRegistry(scratch));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function applyPolicy(registry: ModelRegistry, request: PolicyRequest): Promise<PolicyOutcome> {
  const { recommendation, mode } = request;
  const who = { by: request.by, why: request.why };
  if (recommendation === 'CONTINUE' || recommendation === 'NONE') return { status: 'NONE', detail: '' };
  if (recommendation === 'STOP') {
    return {
      status: 'RECOMMENDED',
      detail: 'end the experiment (remove the variant from the rules); the champion stays',
    };
  }
  try {
    const aliases = await registry.aliases();
    if (recommendation === 'PROMOTE') {
      const ref = request.variantModel;
      if (!ref)
        return { status: 'SKIPPED', detail: 'the challenger variant decided with no model: nothing to promote' };
      if (aliases.champion === ref) return { status: 'SKIPPED', detail: `${ref} is already the champion` };
      const what = `promote ${ref} to champion (replacing ${aliases.champion ?? 'none'})`;
      if (mode === 'RECOMMEND') return { status: 'RECOMMENDED', detail: what };
      if (mode === 'DRY_RUN') {
        const after = await onScratchCopy(registry.dir, ref, (r) => r.promote(ref, 'champion', who));
        return { status: 'DRY_RUN', detail: `would ${what}; champion would be ${after.champion}` };
      }
      const after = await registry.promote(ref, 'champion', who);
      return {
        status: 'APPLIED',
        detail: `promoted ${ref} to champion; archived ${after.archived.join(', ') || 'none'}`,
      };
    }
    // ROLLBACK: only of the champion that breached, never of a later one.
    const ref = request.controlModel;
    if (!ref || aliases.champion !== ref) {
      return {
        status: 'SKIPPED',
        detail: `the champion is ${aliases.champion ?? 'none'}, not the breaching ${ref || '(no model)'}: nothing rolled back`,
      };
    }
    if (mode === 'RECOMMEND') return { status: 'RECOMMENDED', detail: `roll back champion ${ref}` };
    if (mode === 'DRY_RUN') {
      const after = await onScratchCopy(registry.dir, null, (r) => r.rollback(who));
      return { status: 'DRY_RUN', detail: `would roll back champion ${ref} to ${after.champion}` };
    }
    const after = await registry.rollback(who);
    return { status: 'APPLIED', detail: `rolled back champion ${ref} to ${after.champion}` };
  } catch (error) {
    return { status: 'FAILED', detail: errorMessage(error) };
  }
}
