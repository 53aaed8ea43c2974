import { parse } from 'yaml';

/** One rule as the page shows it: its condition rendered as text. */
export interface RuleView {
  id: string;
  description: string | null;
  priority: number | null;
  action: string;
  condition: string;
}

/** The rule file as the page shows it (the decision engine validates it; the console only reads it). */
export interface RuleSetView {
  version: string | null;
  defaultAction: string | null;
  rules: RuleView[];
  lists: { deny: number; allow: number };
  thresholds: string | null;
  variants: { name: string; share: number | null; model: string | null }[];
}

type Yaml = Record<string, unknown>;
const isObject = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A condition of the rule language as one line: `transaction.amount_minor > 1000000`, `all(a, b)`, `not(c)`. */
export function conditionText(when: unknown): string {
  if (!isObject(when)) return text(when);
  for (const combinator of ['all', 'any'] as const) {
    const parts = when[combinator];
    if (Array.isArray(parts)) return `${combinator}(${parts.map(conditionText).join(', ')})`;
  }
  if ('not' in when) return `not(${conditionText(when.not)})`;
  const operand = 'feature' in when ? text(when.feature) : text(when.field);
  const op = text(when.op);
  const value = when.value;
  if (op === 'between' && Array.isArray(value)) return `${operand} between ${value.map(text).join(' and ')}`;
  if ((op === 'in' || op === 'not_in') && Array.isArray(value))
    return `${operand} ${op.replace('_', ' ')} [${value.map(text).join(', ')}]`;
  return `${operand} ${op} ${text(value)}`;
}

function count(list: unknown): number {
  if (!isObject(list)) return 0;
  return ['customers', 'terminals'].reduce(
    (n, k) => n + (Array.isArray(list[k]) ? (list[k] as unknown[]).length : 0),
    0,
  );
}

/** The rule file's text as the page shows it; a file that is not YAML of the rule language's shape throws. */
export function ruleSetView(source: string): RuleSetView {
  const doc: unknown = parse(source);
  if (!isObject(doc)) throw new Error('the rule file is not a YAML mapping');
  const rules = Array.isArray(doc.rules) ? doc.rules.filter(isObject) : [];
  const lists = isObject(doc.lists) ? doc.lists : {};
  const thresholds = isObject(doc.thresholds) && isObject(doc.thresholds.default) ? doc.thresholds.default : null;
  const experiment = isObject(doc.experiment) && Array.isArray(doc.experiment.variants) ? doc.experiment.variants : [];
  return {
    version: doc.version === undefined ? null : text(doc.version),
    defaultAction: doc.default_action === undefined ? null : text(doc.default_action),
    rules: rules.map((r) => ({
      id: text(r.id),
      description: typeof r.description === 'string' ? r.description : null,
      priority: typeof r.priority === 'number' ? r.priority : null,
      action: text(r.action),
      condition: conditionText(r.when),
    })),
    lists: { deny: count(lists.deny), allow: count(lists.allow) },
    thresholds: thresholds
      ? Object.entries(thresholds)
          .map(([k, v]) => `${k} ≥ ${text(v)}`)
          .join(', ')
      : null,
    variants: experiment.filter(isObject).map((v) => ({
      name: text(v.name),
      share: typeof v.share === 'number' ? v.share : null,
      model: typeof v.model === 'string' ? v.model : null,
    })),
  };
}
