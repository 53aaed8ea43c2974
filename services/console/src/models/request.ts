import { ALIASES, type Alias, isAlias, parseRef, type Who } from '@pipeline/scorer';
import { RequestError } from '../errors.js';
import { PERSON_NAME } from '../review/request.js';

/**
 * A promotion as the page posts it: `POST /api/models/promote` with JSON `{ ref, alias, why }`; who
 * promotes is the signed-in principal, never a field of the body.
 */
export interface PromoteRequest extends Who {
  ref: string;
  alias: Alias;
}

/** The longest reason recorded (the alias file keeps every one). */
export const MAX_REASON = 500;

function jsonObject(contentType: string | undefined, body: string, what: string): Record<string, unknown> {
  if (!/^application\/json\b/i.test(contentType ?? '')) {
    throw new RequestError(415, `send the ${what} as JSON (content-type: application/json)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RequestError(400, 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RequestError(400, `the body must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Who and why, as the `model` command records them (`--by`, `--why`): who is the signed-in principal;
 * a body naming someone is refused rather than silently overruled.
 */
function who(fields: Record<string, unknown>, action: 'promote' | 'roll back', actor: string): Who {
  const { by, why } = fields;
  if (by !== undefined)
    throw new RequestError(400, `by is not accepted: the ${action} is recorded as ${actor}, who is signed in`);
  if (!PERSON_NAME.test(actor))
    throw new RequestError(400, "the principal's name must be 1-64 letters, digits, spaces or . _ @ ' -");
  if (typeof why !== 'string' || why.trim() === '') {
    throw new RequestError(400, `a reason is required: why ${action}? (it is recorded in the registry's history)`);
  }
  if (why.trim().length > MAX_REASON) throw new RequestError(400, `the reason is over ${MAX_REASON} characters`);
  return { by: actor, why: why.trim() };
}

export function parsePromoteRequest(contentType: string | undefined, body: string, actor: string): PromoteRequest {
  const fields = jsonObject(contentType, body, 'promotion');
  const { ref, alias } = fields;
  if (typeof ref !== 'string' || ref.trim() === '') throw new RequestError(400, 'ref is missing: which model version?');
  try {
    parseRef(ref.trim());
  } catch (error) {
    throw new RequestError(400, (error as Error).message);
  }
  if (typeof alias !== 'string' || !isAlias(alias)) {
    throw new RequestError(
      400,
      `alias must be one of ${ALIASES.join(', ')}${typeof alias === 'string' ? `, not '${alias.slice(0, 20)}'` : ''}`,
    );
  }
  return { ref: ref.trim(), alias, ...who(fields, 'promote', actor) };
}

export function parseRollbackRequest(contentType: string | undefined, body: string, actor: string): Who {
  return who(jsonObject(contentType, body, 'rollback'), 'roll back', actor);
}
