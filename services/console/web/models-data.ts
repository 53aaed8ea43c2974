// The models page's chart and tables from /api/models/live: pure, unit-tested beside.
import type { ModelsLive, ModelTraffic } from '../src/models/shape.js';
import type { BarData } from './charts-data.js';

/**
 * `fraud_gbdt@2 (deciding; now champion)`: its part in the traffic of the range (deciding, or
 * logged as a shadow: challengers and shadows alike), and its alias in the registry now.
 */
export function modelLabel(m: Pick<ModelTraffic, 'model' | 'alias' | 'deciding'>): string {
  return `${m.model} (${trafficRole(m)}${m.alias ? `; now ${m.alias}` : ''})`;
}

export function trafficRole(m: Pick<ModelTraffic, 'deciding'>): string {
  return m.deciding > 0 ? 'deciding' : 'shadow';
}

/** The deciding model in blue on every chart, the others in colours of their own. */
const OTHERS = ['#8e24aa', '#ef6c00', '#00897b', '#6d4c41', '#546e7a'];
export function modelColour(m: Pick<ModelTraffic, 'deciding'>, index: number): string {
  return m.deciding > 0 ? '#1565c0' : (OTHERS[index % OTHERS.length] as string);
}

/**
 * One bar per model and bin: the share of its scores in the bin (labels are the bins' lower edges).
 * An empty bin has no bar: the page draws the shares on a log scale.
 */
export function distributionData(live: Pick<ModelsLive, 'models'>): BarData {
  const bins = live.models[0]?.distribution.length ?? 0;
  return {
    labels: Array.from({ length: bins }, (_, i) => (i / bins).toFixed(2)),
    datasets: live.models.map((m) => ({
      label: modelLabel(m),
      data: m.distribution.map((share) => (share > 0 ? share : null)),
      backgroundColor: modelColour(m, live.models.filter((o) => o.deciding === 0).indexOf(m)),
    })),
  };
}

/** 0.8123 → `0.812`; null → `–`. */
export function fixed3(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toFixed(3);
}

/** 0.25 → `25.0 %`. */
export function share(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${(value * 100).toFixed(1)} %`;
}
