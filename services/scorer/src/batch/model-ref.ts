import { RegistryError } from '../errors.js';
import { isAlias, parseRef } from '../registry/aliases.js';
import type { AliasFile } from '../registry/types.js';

/**
 * `--model` to a version: `name@version` as it is, or an alias (`champion`, `challenger`, `shadow`
 * when there is exactly one) as the alias file assigns it now. The run records the version, never
 * the alias, so its rows say which model scored them.
 */
export function resolveModelRef(text: string, aliases: AliasFile): string {
  if (!isAlias(text)) {
    parseRef(text);
    return text;
  }
  if (text === 'champion' || text === 'challenger') {
    const ref = aliases[text];
    if (ref === null) throw new RegistryError(`no ${text} is assigned; name a version like fraud_gbdt@2`);
    return ref;
  }
  const list = aliases[text];
  if (text === 'shadow' && list.length === 1) return list[0] as string;
  throw new RegistryError(
    `${text} is ${list.length === 0 ? 'empty' : `${list.length} versions (${list.join(', ')})`}; name a version like fraud_gbdt@2`,
  );
}
