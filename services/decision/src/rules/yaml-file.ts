import { isMap, isNode, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { RuleFileError } from '../errors.js';

/**
 * Parses a YAML file's text and validates it against `schema`. Refuses a bad file with a
 * RuleFileError naming the line and column of the first problem, so an operator can fix it from the
 * log line alone.
 */
export function parseYamlFile<S extends z.ZodType>(text: string, schema: S, file: string): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0] ?? { line: 0, col: 0 };
    const reason = (yamlError.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '');
    throw new RuleFileError(file, pos.line, pos.col, reason);
  }
  const result = schema.safeParse(doc.toJS());
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p));
    const pos = positionOf(doc.contents, path, lineCounter);
    const where = path.length > 0 ? `${path.join('.')}: ` : '';
    throw new RuleFileError(file, pos.line, pos.col, `${where}${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** The deepest node along `path` that exists: a missing key is reported where its parent is. */
function positionOf(root: unknown, path: (string | number)[], lineCounter: LineCounter): { line: number; col: number } {
  let node: unknown = root;
  let found: Node | undefined = isNode(root) ? root : undefined;
  for (const key of path) {
    if (isMap(node) || isSeq(node)) {
      const next = node.get(key, true);
      if (!isNode(next)) break;
      node = next;
      found = next;
    } else break;
  }
  const offset = found?.range?.[0];
  return offset === undefined ? { line: 0, col: 0 } : lineCounter.linePos(offset);
}
