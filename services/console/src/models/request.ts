import { ALIASES, type Alias, isAlias, parseRef, type Who } from '@pipeline/scorer';
import { RequestError } from '../errors.js';
import { PERSON_NAME } from '../review/request.js';

/** A promotion as the page posts it: `POST /api/models/promote` with JSON `{ ref, alias, by, why }`. */
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

/** Who and why, as the `model` command requires them (`--by`, `--why`): both required here, the page has no $USER. */
function who(fields: Record<string, unknown>, action: 'promote' | 'roll back'): Who {
  const { by, why } = fields;
  if (typeof by !== 'string' || by.trim() === '')
    throw new RequestError(400, `by is missing: say who ${action === 'promote' ? 'promotes' : 'rolls back'}`);
  if (!PERSON_NAME.test(by.trim())) throw new RequestError(400, "by must be 1-64 letters, digits, spaces or . _ @ ' -");
  if (typeof why !== 'string' || why.trim() === '') {
    throw new RequestError(400, `a reason is required: why ${action}? (it is recorded in the registry's history)`);
  }
  if (why.trim().length > MAX_REASON) throw new RequestError(400, `the reason is over ${MAX_REASON} characters`);
  return { by: by.trim(), why: why.trim() };
}

export function parsePromoteRequest(contentType: string | undefined, body: string): PromoteRequest {
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
  return { ref: ref.trim(), alias, ...who(fields, 'promote') };
}

export function parseRollbackRequest(contentType: string | undefined, body: string): Who {
  return who(jsonObject(contentType, body, 'rollback'), 'roll back');
}
