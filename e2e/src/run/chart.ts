import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { localPath } from '@pipeline/infra';

const chartDir = fileURLToPath(new URL('../../chart/', import.meta.url));

/**
 * Renders a chart with matplotlib (pinned in e2e/chart/requirements.txt, installed into
 * .local/chart-venv on first use): `script` in e2e/chart/ reads a run's JSON and writes the PNG
 * (the benchmark's latency_chart.py, the backtest's backtest_chart.py). Returns the reason when Python
 * or the packages fail.
 */
export function renderChart(
  script: string,
  jsonFile: string,
  pngFile: string,
): { ok: true } | { ok: false; reason: string } {
  const venv = localPath('chart-venv');
  const python = `${venv}/bin/python`;
  try {
    if (!existsSync(python)) {
      console.log(`  installing matplotlib into ${venv} (once)`);
      execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
      execFileSync(python, ['-m', 'pip', 'install', '-q', '-r', `${chartDir}requirements.txt`], { stdio: 'inherit' });
    }
    execFileSync(python, [`${chartDir}${script}`, jsonFile, pngFile], { stdio: 'inherit' });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
