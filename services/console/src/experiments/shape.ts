/** ClickHouse's JSON of the experiments queries (64-bit counts arrive as strings; NaN as null or "nan"). */
export interface StandingRow {
  experiment: string;
  variant: string;
  control: string;
  /** The newest look (as_of). */
  newest: number | string;
  looks: number | string;
  verdict: string;
  recommendation: string;
  mode: string;
  action_status: string;
  action_detail: string;
  control_model: string;
  variant_model: string;
  min_p_value: number | string | null;
  reasons: string[];
}

export interface LookRow {
  variant: string;
  as_of: number | string;
  verdict: string;
  recommendation: string;
  mode: string;
  action_status: string;
  action_detail: string;
  min_p_value: number | string | null;
  reasons: string[];
}

export interface FigureRow {
  variant: string;
  as_of: number | string;
  metric: string;
  kind: string;
  units: number | string;
  n: number | string | null;
  value: number | string | null;
  control_value: number | string | null;
  difference: number | string | null;
  ci_low: number | string | null;
  ci_high: number | string | null;
  cs_low: number | string | null;
  cs_high: number | string | null;
  p_value: number | string | null;
  mde: number | string | null;
  realized: number | string | null;
  breached: number | string;
}

/** A challenger variant of an experiment, where its test stands after the newest look. */
export interface Standing {
  experiment: string;
  variant: string;
  control: string;
  asOf: number;
  looks: number;
  verdict: string;
  recommendation: string;
  mode: string;
  actionStatus: string;
  actionDetail: string;
  controlModel: string;
  variantModel: string;
  /** The always-valid p-value of the newest look (null: not computed yet). */
  minPValue: number | null;
  reasons: string[];
}

export interface Look {
  variant: string;
  asOf: number;
  verdict: string;
  recommendation: string;
  mode: string;
  actionStatus: string;
  actionDetail: string;
  minPValue: number | null;
  reasons: string[];
}

/** One metric of one challenger at one look; NaN figures are null. */
export interface Figure {
  metric: string;
  kind: string;
  units: number;
  value: number | null;
  controlValue: number | null;
  difference: number | null;
  /** One-look 95 % interval of the difference (valid for this look alone). */
  ci: [number | null, number | null];
  /** Always-valid confidence sequence of the difference (valid at every look). */
  cs: [number | null, number | null];
  pValue: number | null;
  mde: number | null;
  /** For a label-free estimate: the labelled figure once known. */
  realized: number | null;
  breached: boolean;
}

/** A metric's difference and confidence sequence over the looks, oldest first. */
export interface FigureTimeline {
  variant: string;
  metric: string;
  kind: string;
  times: number[];
  difference: (number | null)[];
  csLow: (number | null)[];
  csHigh: (number | null)[];
  breached: boolean[];
}

export interface ExperimentView {
  experiment: string;
  standings: Standing[];
  /** The newest look's figures, per challenger variant. */
  latest: { variant: string; asOf: number; figures: Figure[] }[];
  timelines: FigureTimeline[];
  looks: Look[];
}

export interface Experiments {
  /** Every experiment's challengers, newest look first. */
  standings: Standing[];
  /** The chosen experiment in detail; null when none has a look. */
  selected: ExperimentView | null;
}

/** A finite number, or null for NaN, infinities, null and what does not parse. */
export function finite(x: number | string | null | undefined): number | null {
  if (x === null || x === undefined) return null;
  const n = typeof x === 'number' ? x : Number(x);
  return Number.isFinite(n) ? n : null;
}

export function standings(rows: readonly StandingRow[]): Standing[] {
  return rows.map((r) => ({
    experiment: r.experiment,
    variant: r.variant,
    control: r.control,
    asOf: Number(r.newest),
    looks: Number(r.looks),
    verdict: r.verdict,
    recommendation: r.recommendation,
    mode: r.mode,
    actionStatus: r.action_status,
    actionDetail: r.action_detail,
    controlModel: r.control_model,
    variantModel: r.variant_model,
    minPValue: finite(r.min_p_value),
    reasons: r.reasons,
  }));
}

export function looks(rows: readonly LookRow[]): Look[] {
  return rows.map((r) => ({
    variant: r.variant,
    asOf: Number(r.as_of),
    verdict: r.verdict,
    recommendation: r.recommendation,
    mode: r.mode,
    actionStatus: r.action_status,
    actionDetail: r.action_detail,
    minPValue: finite(r.min_p_value),
    reasons: r.reasons,
  }));
}

function figure(r: FigureRow): Figure {
  return {
    metric: r.metric,
    kind: r.kind,
    units: Number(r.units),
    value: finite(r.value),
    controlValue: finite(r.control_value),
    difference: finite(r.difference),
    ci: [finite(r.ci_low), finite(r.ci_high)],
    cs: [finite(r.cs_low), finite(r.cs_high)],
    pValue: finite(r.p_value),
    mde: finite(r.mde),
    realized: finite(r.realized),
    breached: Number(r.breached) === 1,
  };
}

const KIND_ORDER = ['PRIMARY', 'GUARDRAIL', 'INFO', 'ESTIMATE'];
const byKind = (a: { kind: string; metric: string }, b: { kind: string; metric: string }) =>
  KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.metric.localeCompare(b.metric);

/**
 * One experiment from its figures (oldest look first) and looks: the challengers' newest figures, and
 * a timeline per challenger and judged metric (PRIMARY, GUARDRAIL) of the difference and its
 * confidence sequence. The control's own rows (variant = control) carry no difference: left out.
 */
export function experimentView(
  experiment: string,
  all: readonly Standing[],
  figureRows: readonly FigureRow[],
  lookRows: readonly LookRow[],
): ExperimentView {
  const mine = all.filter((s) => s.experiment === experiment);
  const controls = new Set(mine.map((s) => s.control));
  const challengerRows = figureRows.filter((r) => !controls.has(r.variant));
  const latest = mine.map((s) => {
    const rows = challengerRows.filter((r) => r.variant === s.variant);
    const asOf = Math.max(...rows.map((r) => Number(r.as_of)), Number.NEGATIVE_INFINITY);
    return {
      variant: s.variant,
      asOf: Number.isFinite(asOf) ? asOf : s.asOf,
      figures: rows
        .filter((r) => Number(r.as_of) === asOf)
        .map(figure)
        .sort(byKind),
    };
  });
  const lines = new Map<string, FigureTimeline>();
  for (const r of challengerRows) {
    if (r.kind !== 'PRIMARY' && r.kind !== 'GUARDRAIL') continue;
    const key = `${r.variant}\u0000${r.metric}`;
    let line = lines.get(key);
    if (!line) {
      line = {
        variant: r.variant,
        metric: r.metric,
        kind: r.kind,
        times: [],
        difference: [],
        csLow: [],
        csHigh: [],
        breached: [],
      };
      lines.set(key, line);
    }
    line.times.push(Number(r.as_of));
    line.difference.push(finite(r.difference));
    line.csLow.push(finite(r.cs_low));
    line.csHigh.push(finite(r.cs_high));
    line.breached.push(Number(r.breached) === 1);
  }
  return {
    experiment,
    standings: mine,
    latest,
    timelines: [...lines.values()].sort((a, b) => a.variant.localeCompare(b.variant) || byKind(a, b)),
    looks: looks(lookRows),
  };
}
