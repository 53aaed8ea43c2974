/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The console's browser application: six pages over the console's API, charts with Chart.js,
// the live page fed by server-sent events. Data shaping lives in format.ts and charts-data.ts.
import { Chart, registerables } from 'chart.js';
import type { DecisionMix, Provenance, QueueItem } from '../src/decisions/shape.js';
import type { Experiments } from '../src/experiments/shape.js';
import type { LiveSnapshot } from '../src/live/snapshot.js';
import type { RegistryView } from '../src/models/registry.js';
import type { ModelsLive } from '../src/models/shape.js';
import type { Monitoring } from '../src/monitoring/shape.js';
import type { RuleHits } from '../src/rules/hits.js';
import type { RuleSetView } from '../src/rules/rule-file.js';
import { type BarData, type LineData, latencyData, mixData, throughputData } from './charts-data.js';
import { figureValue, interval, sequenceData, sideOfZero } from './experiments-data.js';
import { amount, count, eventTime, groupLag, ms, rate, reasons, score } from './format.js';
import { distributionData, fixed3, share, trafficRole } from './models-data.js';
import {
  driftData,
  featurePsiBars,
  metricTitle,
  performanceData,
  qualityData,
  type timelineData,
} from './monitoring-data.js';
import { hitsChartData, hitsForFile, percent, ruleRows } from './rules-data.js';

Chart.register(...registerables);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
Chart.defaults.animation = false;

type Child = Node | string | null | undefined;
function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
function rows(tableId: string, trs: HTMLElement[], empty: string, columns: number): void {
  const body = $(tableId).querySelector('tbody') as HTMLElement;
  body.replaceChildren(
    ...(trs.length > 0 ? trs : [h('tr', {}, h('td', { class: 'empty', colspan: String(columns) }, empty))]),
  );
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  // The session ended (signed out elsewhere, expired, the console restarted): sign in again.
  if (response.status === 401) window.location.assign('/login');
  const body = (await response.json().catch(() => ({ error: `HTTP ${response.status}` }))) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

// Who is signed in ---------------------------------------------------------------------------------

// Write controls show only to a principal with the operate role (the server refuses others anyway).
void api<{ name: string; roles: string[] }>('/api/me').then(
  (me) => {
    $('principal').textContent = `${me.name} (${me.roles.join(', ')})`;
    document.body.classList.toggle('operator', me.roles.includes('operate'));
  },
  () => {},
);

// Charts -------------------------------------------------------------------------------------------

function lineChart(id: string): Chart<'line'> {
  return new Chart($<HTMLCanvasElement>(id), {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: {
      maintainAspectRatio: false,
      elements: { point: { radius: 0 }, line: { borderWidth: 2 } },
      scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  });
}
function setLine(chart: Chart<'line'>, data: LineData): void {
  chart.data.labels = data.labels;
  // A series of one or two points draws no line: show its points then.
  chart.data.datasets = data.datasets.map((d) => ({
    ...d,
    spanGaps: true,
    tension: 0.2,
    pointRadius: d.data.filter((v) => v !== null).length < 3 ? 3 : 0,
  }));
  chart.update('none');
}
function barChart(id: string): Chart<'bar'> {
  return new Chart($<HTMLCanvasElement>(id), {
    type: 'bar',
    data: { labels: [], datasets: [] },
    options: {
      maintainAspectRatio: false,
      datasets: { bar: { categoryPercentage: 1, barPercentage: 0.9 } },
      scales: {
        x: { stacked: true, ticks: { maxTicksLimit: 8 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  });
}
function setBars(chart: Chart<'bar'>, data: BarData): void {
  chart.data.labels = data.labels;
  chart.data.datasets = data.datasets;
  chart.update('none');
}

/** A line chart over window ends: breached points drawn larger, in red. */
function setTimeline(chart: Chart<'line'>, data: ReturnType<typeof timelineData>): void {
  chart.data.labels = data.labels;
  chart.data.datasets = data.datasets.map((d, i) => {
    const breached = data.breached[i] ?? [];
    return {
      ...d,
      spanGaps: true,
      tension: 0.15,
      pointRadius: d.data.map((_, j) => (breached[j] ? 5 : d.data.length < 40 ? 2 : 0)),
      pointBackgroundColor: d.data.map((_, j) => (breached[j] ? '#c62828' : d.borderColor)),
      pointBorderColor: d.data.map((_, j) => (breached[j] ? '#c62828' : d.borderColor)),
    };
  });
  chart.update('none');
}

// Live ---------------------------------------------------------------------------------------------

const throughputChart = lineChart('chart-throughput');
const latencyChart = lineChart('chart-latency');

function statusBadge(status: string): HTMLElement {
  const cls = status === 'ready' ? 'ok' : status === 'not ready' ? 'warn' : 'bad';
  return h('span', { class: `badge ${cls}` }, status);
}

function renderLive(s: LiveSnapshot): void {
  $('events-in').textContent = rate(s.throughput.eventsIn);
  $('decisions-out').textContent = rate(s.throughput.decisionsOut);
  $('lag-total').textContent = count(s.lag.total);
  $('dead-total').textContent = s.deadLetters.error ? '?' : count(s.deadLetters.rows.reduce((n, r) => n + r.count, 0));
  $('dead-window').textContent = `in the last ${Math.round(s.windowMs / 60_000)} min`;
  $('latency-window').textContent = `${Math.round(s.windowMs / 60_000)} min`;
  $('updated').textContent = new Date(s.at).toISOString().slice(11, 19);
  $('updated').dataset.at = String(s.at);
  const errors = [...s.kafkaErrors.map((e) => `Kafka: ${e}`)];
  if (s.latency.error) errors.push(`Latency: ${s.latency.error}`);
  if (s.deadLetters.error) errors.push(`Dead letters: ${s.deadLetters.error}`);
  $('live-errors').textContent = errors.join('\n');

  setLine(throughputChart, throughputData(s));
  setLine(latencyChart, latencyData(s));
  rows(
    'latency-table',
    s.latency.hops.map((hop) =>
      h(
        'tr',
        {},
        h('td', {}, `${hop.hop} (${hop.topic})`),
        h('td', { class: 'num' }, ms(hop.p50)),
        h('td', { class: 'num' }, ms(hop.p99)),
        h('td', { class: 'num' }, count(hop.count)),
      ),
    ),
    'no hops',
    4,
  );
  rows(
    'services-table',
    s.services.map((svc) =>
      h(
        'tr',
        { 'data-service': svc.name },
        h('td', {}, svc.name, h('div', { class: 'parts' }, svc.url)),
        h(
          'td',
          {},
          statusBadge(svc.status),
          svc.failing.length > 0 ? ` failing: ${svc.failing.join(', ')}` : '',
          svc.error ? h('div', { class: 'parts' }, svc.error) : null,
        ),
        h('td', { class: 'num' }, rate(svc.consumedPerSecond)),
        h('td', { class: 'num' }, count(svc.deadLettered)),
      ),
    ),
    'no services configured (CONSOLE_SERVICES)',
    4,
  );
  const serving = s.services.filter((svc) => svc.requests !== null);
  $('api-panel').hidden = serving.length === 0;
  $('api-span').textContent = serving[0]?.requests ? `${Math.round(serving[0].requests.spanMs / 1000)} s` : '–';
  rows(
    'api-table',
    serving.map((svc) => {
      const r = svc.requests as NonNullable<typeof svc.requests>;
      const of = (source: string) => (r.perSecond > 0 ? share((r.bySource[source] ?? 0) / r.perSecond) : '–');
      return h(
        'tr',
        { 'data-service': svc.name },
        h('td', {}, svc.name),
        h('td', { class: 'num' }, rate(r.perSecond)),
        h('td', { class: 'num' }, of('pipeline')),
        h('td', { class: 'num' }, of('rules_only_fallback')),
        h('td', { class: 'num' }, of('none')),
        h('td', { class: 'num' }, ms(r.p50Ms)),
        h('td', { class: 'num' }, ms(r.p99Ms)),
      );
    }),
    'no requests',
    7,
  );
  rows(
    'lag-table',
    groupLag(s.lag.rows).map((g) =>
      h(
        'tr',
        {},
        h('td', {}, g.group),
        h('td', {}, g.topic),
        h('td', { class: 'num' }, count(g.total)),
        h(
          'td',
          { class: 'parts' },
          ...g.partitions.flatMap((p) => [`p${p.partition} `, h('b', {}, count(p.lag)), '  ']),
        ),
      ),
    ),
    'no committed offsets for the configured groups',
    4,
  );
  rows(
    'dead-table',
    s.deadLetters.rows.map((d) =>
      h(
        'tr',
        {},
        h('td', {}, d.service),
        h('td', {}, d.errorType),
        h('td', { class: 'num' }, count(d.count)),
        h('td', { class: 'parts' }, d.example.slice(0, 140)),
      ),
    ),
    s.deadLetters.error ? 'unavailable' : 'none in the window',
    4,
  );
}

function connectLive(): void {
  const badge = $('connection');
  const source = new EventSource('/api/live/stream');
  source.addEventListener('open', () => {
    badge.textContent = 'live';
    badge.className = 'badge ok';
  });
  source.addEventListener('live', (event) =>
    renderLive(JSON.parse((event as MessageEvent<string>).data) as LiveSnapshot),
  );
  source.addEventListener('error', () => {
    badge.textContent = 'reconnecting…';
    badge.className = 'badge bad';
  });
}

// Decisions ----------------------------------------------------------------------------------------

const actionChart = barChart('chart-action');
const pathChart = barChart('chart-path');
const variantChart = barChart('chart-variant');

async function loadMix(): Promise<void> {
  const hours = Number($<HTMLSelectElement>('mix-hours').value);
  $('mix-error').textContent = '';
  try {
    const { mix } = await api<{ mix: DecisionMix | null }>(`/api/decisions/mix?hours=${hours}`);
    if (!mix) {
      $('mix-summary').textContent = 'no decisions stored yet';
      for (const c of [actionChart, pathChart, variantChart]) setBars(c, { labels: [], datasets: [] });
      return;
    }
    $('mix-summary').textContent =
      `${count(mix.total)} decisions, event time ${eventTime(mix.range.from)} to ${eventTime(mix.range.to)} UTC (ending with the newest decision), ${mix.range.bucket / 60} min per bar`;
    setBars(actionChart, mixData(mix.times, mix.byAction, hours));
    setBars(pathChart, mixData(mix.times, mix.byPath, hours));
    setBars(variantChart, mixData(mix.times, mix.byVariant, hours));
  } catch (error) {
    $('mix-error').textContent = `Decision mix unavailable: ${(error as Error).message}`;
  }
}

function kv(pairs: [string, Child][]): HTMLElement {
  return h('dl', { class: 'kv' }, ...pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '–')]));
}

function renderProvenance(p: Provenance): HTMLElement {
  const d = p.decision;
  return h(
    'div',
    { id: 'provenance' },
    h('h2', {}, `Event ${p.eventId}`),
    h(
      'div',
      { class: 'grid2' },
      h(
        'div',
        {},
        kv([
          ['action', h('b', { id: 'provenance-action' }, d.action)],
          ['path', d.path],
          ['score', score(d.score)],
          ['model', d.model ?? 'none (rules only)'],
          ['variant', d.variant],
          ['rule set', d.ruleSetVersion],
          ['rules fired', d.rulesFired.join(', ') || 'none'],
          ['reasons', d.reasons.join(', ') || '–'],
          ['customer', d.customerId],
          ['event time', `${eventTime(d.eventTime)} UTC`],
          ['decided at', new Date(d.decidedAtMs).toISOString()],
          ['features → decision', ms(p.latency.featuresToDecisionMs)],
          ['scoring (model)', ms(p.latency.scoringMs)],
          [
            'label',
            p.label
              ? `${p.label.isFraud ? 'fraud' : 'genuine'} (${new Date(p.label.labelTimeMs).toISOString()})`
              : 'none yet',
          ],
          [
            'review',
            p.review
              ? `${p.review.isFraud ? 'fraud' : 'genuine'} by ${p.review.reviewer} at ${new Date(p.review.reviewedAtMs).toISOString()}`
              : 'none',
          ],
          ...((p.transaction
            ? [
                ['amount', amount(p.transaction.amountMinor, p.transaction.currency)],
                ['channel', p.transaction.channel],
                ['country', p.transaction.country],
                ['terminal', p.transaction.terminalId],
              ]
            : [['transaction', 'not stored']]) as [string, Child][]),
        ]),
      ),
      h(
        'div',
        {},
        h('h2', {}, 'Scores'),
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'model'),
              h('th', {}, 'score'),
              h('th', {}, 'role'),
              h('th', {}, 'latency'),
              h('th', {}, 'top contributions'),
            ),
          ),
          h(
            'tbody',
            {},
            ...(p.scores.length > 0
              ? p.scores.map((s) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, s.model),
                    h('td', { class: 'num' }, score(s.score)),
                    h('td', {}, s.deciding ? 'deciding' : s.shadow ? 'shadow' : 'champion'),
                    h('td', { class: 'num' }, ms(s.latencyMs)),
                    h(
                      'td',
                      { class: 'parts' },
                      s.contributions
                        .map((c) => `${c.feature} ${c.value >= 0 ? '+' : ''}${c.value.toFixed(3)}`)
                        .join(', '),
                    ),
                  ),
                )
              : [h('tr', {}, h('td', { class: 'empty', colspan: '5' }, 'no score logged'))]),
          ),
        ),
        h('h2', {}, p.features ? `Features as logged (${p.features.featureSet})` : 'Features'),
        p.features
          ? h(
              'div',
              { class: 'features' },
              ...p.features.values.map((f) => h('div', {}, h('span', {}, f.name), h('b', {}, f.value))),
            )
          : h('p', { class: 'muted' }, 'not logged'),
      ),
    ),
  );
}

async function showEvent(id: string): Promise<void> {
  $('event-error').textContent = '';
  $('event-result').replaceChildren();
  try {
    $('event-result').replaceChildren(
      renderProvenance(await api<Provenance>(`/api/decisions/event/${encodeURIComponent(id.trim())}`)),
    );
  } catch (error) {
    $('event-error').textContent = (error as Error).message;
  }
}

// Review -------------------------------------------------------------------------------------------

async function loadQueue(): Promise<void> {
  $('review-error').textContent = '';
  try {
    const queue = await api<{ items: QueueItem[]; pending: number }>('/api/review?limit=50');
    $('review-summary').textContent = `${count(queue.pending)} awaiting review, oldest first`;
    rows(
      'review-table',
      queue.items.map((item) => {
        const verdict = (v: 'fraud' | 'genuine') => {
          const b = h(
            'button',
            { type: 'button', class: `${v} write-control`, 'data-verdict': v },
            v === 'fraud' ? 'Fraud' : 'Genuine',
          ) as HTMLButtonElement;
          b.addEventListener('click', () => void review(item, v, b.parentElement as HTMLElement));
          return b;
        };
        const link = h('a', { href: '#decisions', class: 'event' }, item.eventId);
        link.addEventListener('click', () => {
          $<HTMLInputElement>('event-id').value = item.eventId;
          void showEvent(item.eventId);
        });
        return h(
          'tr',
          { 'data-event': item.eventId },
          h('td', {}, eventTime(item.eventTime)),
          h('td', {}, link),
          h('td', {}, item.customerId),
          h('td', { class: 'num' }, amount(item.amountMinor, item.currency)),
          h('td', {}, item.channel ?? '–'),
          h('td', { class: 'num' }, score(item.score)),
          h('td', { class: 'parts' }, reasons(item)),
          h('td', {}, item.variant),
          h('td', {}, verdict('fraud'), ' ', verdict('genuine')),
        );
      }),
      'nothing to review',
      9,
    );
  } catch (error) {
    $('review-error').textContent = `Review queue unavailable: ${(error as Error).message}`;
  }
}

async function review(item: QueueItem, verdict: 'fraud' | 'genuine', cell: HTMLElement): Promise<void> {
  $('review-error').textContent = '';
  const message = $('review-message');
  message.hidden = true;
  for (const b of cell.querySelectorAll('button')) b.disabled = true;
  try {
    await api(`/api/review/${encodeURIComponent(item.eventId)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verdict }),
    });
    message.textContent = `${item.eventId} marked ${verdict}: label published.`;
    message.hidden = false;
    cell.closest('tr')?.remove();
    void loadQueue();
  } catch (error) {
    $('review-error').textContent = `Not reviewed: ${(error as Error).message}`;
    for (const b of cell.querySelectorAll('button')) b.disabled = false;
  }
}

// Rules --------------------------------------------------------------------------------------------

const rulesChart = new Chart($<HTMLCanvasElement>('chart-rules'), {
  type: 'bar',
  data: { labels: [], datasets: [] },
  options: {
    indexAxis: 'y',
    maintainAspectRatio: false,
    scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    plugins: { legend: { display: false } },
  },
});

interface RulesAnswer {
  file: string;
  ruleSet: RuleSetView | null;
  fileError: string | null;
  hits: { hits: RuleHits[]; from: number; to: number } | null;
  hitsError: string | null;
}

async function loadRules(): Promise<void> {
  $('rules-error').textContent = '';
  try {
    const r = await api<RulesAnswer>(`/api/rules?hours=${$<HTMLSelectElement>('rules-hours').value}`);
    const errors = [r.fileError ? `Rule file: ${r.fileError}` : '', r.hitsError ? `Hit counts: ${r.hitsError}` : ''];
    $('rules-error').textContent = errors.filter(Boolean).join('\n');
    const hits = r.hits?.hits ?? [];
    const counts = hitsForFile(r.ruleSet, hits);
    const summary: [string, Child][] = [
      ['version in the file', h('b', { id: 'rules-version' }, r.ruleSet?.version ?? '–')],
      ['file', h('code', {}, r.file)],
      ['default action', r.ruleSet?.defaultAction ?? '–'],
      ['model thresholds', r.ruleSet?.thresholds ?? '–'],
      ['deny / allow list entries', r.ruleSet ? `${r.ruleSet.lists.deny} / ${r.ruleSet.lists.allow}` : '–'],
      [
        'experiment',
        r.ruleSet?.variants.map((v) => `${v.name} ${v.share ?? '?'}${v.model ? ` (${v.model})` : ''}`).join(', ') ||
          'none',
      ],
      [
        'hits counted for',
        counts
          ? `version ${counts.version}, ${count(counts.decisions)} decisions${counts.version === r.ruleSet?.version ? '' : ' (not the file’s version: decided before it, or the engine refused the file)'}`
          : 'no decisions in the range',
      ],
    ];
    $('rules-summary').replaceChildren(...summary.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '–')]));
    rows(
      'versions-table',
      hits.map((v) => h('tr', {}, h('td', {}, v.version), h('td', { class: 'num' }, count(v.decisions)))),
      'no decisions in the range',
      2,
    );
    const table = ruleRows(r.ruleSet, counts);
    rows(
      'rules-table',
      table.map((rule) =>
        h(
          'tr',
          { 'data-rule': rule.id },
          h('td', {}, rule.id, rule.description ? h('div', { class: 'parts' }, rule.description) : null),
          h('td', { class: 'num' }, rule.priority === null ? '–' : String(rule.priority)),
          h('td', {}, rule.action),
          h('td', {}, h('code', {}, rule.condition)),
          h('td', { class: 'num' }, count(rule.hits)),
          h('td', { class: 'num' }, percent(rule.share)),
        ),
      ),
      'no rules',
      6,
    );
    setBars(rulesChart, hitsChartData(table));
  } catch (error) {
    $('rules-error').textContent = `Rules unavailable: ${(error as Error).message}`;
  }
}

// Models -------------------------------------------------------------------------------------------

const scoresChart = new Chart($<HTMLCanvasElement>('chart-scores'), {
  type: 'bar',
  data: { labels: [], datasets: [] },
  options: {
    maintainAspectRatio: false,
    datasets: { bar: { categoryPercentage: 0.9, barPercentage: 1 } },
    scales: {
      x: { title: { display: true, text: 'score (bin from)' }, ticks: { maxTicksLimit: 11 } },
      y: { type: 'logarithmic', title: { display: true, text: 'share of the model’s scores' } },
    },
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
  },
});

function renderRegistry(r: RegistryView): void {
  $('registry-dir').textContent = r.dir;
  $('models-aliases').replaceChildren(
    ...(
      [
        ['champion', h('b', { id: 'alias-champion' }, r.champion ?? 'none')],
        ['challenger', h('span', { id: 'alias-challenger' }, r.challenger ?? 'none')],
        ['shadows', h('span', { id: 'alias-shadow' }, r.shadow.join(', ') || 'none')],
        ['archived', r.archived.join(', ') || 'none'],
      ] as [string, Child][]
    ).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
  rows(
    'models-table',
    r.versions.map((v) =>
      h(
        'tr',
        { 'data-model': v.ref },
        h('td', {}, h('b', {}, v.ref)),
        h('td', { class: 'alias' }, v.alias ?? '–'),
        h(
          'td',
          { class: 'nowrap' },
          v.createdAt.slice(0, 10),
          v.createdBy ? h('div', { class: 'parts' }, v.createdBy) : null,
        ),
        h(
          'td',
          {},
          v.featureSet,
          v.servable ? null : h('div', { class: 'parts' }, 'not the served feature set: the scorer refuses it'),
        ),
        h('td', { class: 'num' }, fixed3(v.rocAuc)),
        h('td', { class: 'num' }, fixed3(v.averagePrecision)),
        h('td', { class: 'parts' }, v.trainingWindow ?? '–'),
      ),
    ),
    'no versions registered',
    7,
  );
  const select = $<HTMLSelectElement>('promote-ref');
  const chosen = select.value;
  select.replaceChildren(
    ...r.versions.map((v) => h('option', { value: v.ref }, `${v.ref}${v.alias ? ` (${v.alias})` : ''}`)),
  );
  if (r.versions.some((v) => v.ref === chosen)) select.value = chosen;
  rows(
    'history-table',
    r.history
      .slice(0, 50)
      .map((c) =>
        h(
          'tr',
          {},
          h('td', {}, c.at.slice(0, 19).replace('T', ' ')),
          h('td', {}, c.by),
          h(
            'td',
            {},
            c.action === 'rollback' ? 'rolled back to ' : 'promoted ',
            h('b', {}, c.ref),
            ` → ${c.alias}`,
            c.previous ? h('div', { class: 'parts' }, `replaced ${c.previous}`) : null,
          ),
          h('td', {}, c.why),
        ),
      ),
    'no alias changes recorded',
    4,
  );
}

async function loadRegistry(): Promise<void> {
  try {
    renderRegistry(await api<RegistryView>('/api/models'));
  } catch (error) {
    $('promote-error').textContent = `Registry unavailable: ${(error as Error).message}`;
  }
}

function renderModelsLive(live: ModelsLive | null, hours: number): void {
  if (!live || live.models.length === 0) {
    $('models-summary').textContent = live ? 'no scores in the range' : 'no decisions stored yet';
    setBars(scoresChart, { labels: [], datasets: [] });
    rows('agreement-table', [], 'no scores', 9);
    rows('realized-table', [], 'no scores', 10);
    return;
  }
  $('models-summary').textContent =
    `scores of ${eventTime(live.from)} to ${eventTime(live.to)} UTC event time (${hours / 24} days ending with the newest decision)`;
  setBars(scoresChart, distributionData(live));
  rows(
    'agreement-table',
    live.agreement.map((a) =>
      h(
        'tr',
        { 'data-model': a.model },
        h('td', {}, a.model),
        h('td', {}, a.deciding),
        h('td', { class: 'num' }, count(a.n)),
        h('td', { class: 'num' }, share(a.agree)),
        h('td', { class: 'num' }, count(a.bothFlag)),
        h('td', { class: 'num' }, count(a.decidingOnly)),
        h('td', { class: 'num' }, count(a.otherOnly)),
        h('td', { class: 'num' }, fixed3(a.meanAbsDiff)),
        h('td', { class: 'num' }, fixed3(a.correlation)),
      ),
    ),
    'no challenger or shadow scored the deciding model’s events',
    9,
  );
  rows(
    'realized-table',
    live.models.map((m) =>
      h(
        'tr',
        { 'data-model': m.model },
        h('td', {}, m.model),
        h('td', {}, trafficRole(m), h('div', { class: 'parts' }, m.alias ? `now ${m.alias}` : 'no alias now')),
        h('td', { class: 'num' }, count(m.scored)),
        h('td', { class: 'num' }, share(m.flagged)),
        h('td', { class: 'num' }, count(m.performance?.labelled ?? 0)),
        h('td', { class: 'num' }, count(m.performance?.frauds ?? 0)),
        h('td', { class: 'num' }, fixed3(m.performance?.rocAuc)),
        h('td', { class: 'num' }, fixed3(m.performance?.averagePrecision)),
        h('td', { class: 'num' }, share(m.performance?.precision)),
        h('td', { class: 'num' }, share(m.performance?.recall)),
      ),
    ),
    'no scores',
    10,
  );
  $('models-note').textContent =
    `Flagged: score ≥ ${live.threshold}. Agreement: both flag or both pass. ROC AUC and AP from scores in bins of 0.01 (ties within a bin count half), over the events of the range with a label known now. Deciding: logged as the deciding score in the range; shadow: logged as a shadow (challengers too); “now”: its alias in the registry today.`;
}

async function loadModels(): Promise<void> {
  $('models-error').textContent = '';
  $('promote-error').textContent = '';
  void loadRegistry();
  const hours = Number($<HTMLSelectElement>('models-hours').value);
  try {
    const { live } = await api<{ live: ModelsLive | null }>(`/api/models/live?hours=${hours}`);
    renderModelsLive(live, hours);
  } catch (error) {
    $('models-error').textContent = `Live comparison unavailable: ${(error as Error).message}`;
  }
}

async function writeRegistry(path: string, body: Record<string, string>, done: (r: RegistryView) => string) {
  $('promote-error').textContent = '';
  const message = $('promote-message');
  message.hidden = true;
  const buttons = [$<HTMLButtonElement>('promote'), $<HTMLButtonElement>('rollback')];
  for (const b of buttons) b.disabled = true;
  try {
    const r = await api<RegistryView>(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, why: $<HTMLInputElement>('promote-why').value }),
    });
    renderRegistry(r);
    message.textContent = done(r);
    message.hidden = false;
    $<HTMLInputElement>('promote-why').value = '';
    void loadModels();
  } catch (error) {
    $('promote-error').textContent = `Refused: ${(error as Error).message}`;
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

$('promote-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const ref = $<HTMLSelectElement>('promote-ref').value;
  const alias = $<HTMLSelectElement>('promote-alias').value;
  void writeRegistry(
    '/api/models/promote',
    { ref, alias },
    (r) => `${ref} is now ${alias}; champion: ${r.champion ?? 'none'}.`,
  );
});
$('rollback').addEventListener('click', () => {
  void writeRegistry('/api/models/rollback', {}, (r) => `Rolled back: the champion is ${r.champion ?? 'none'}.`);
});
$('models-hours').addEventListener('change', () => void loadModels());

// Monitoring ---------------------------------------------------------------------------------------

const driftScoreChart = lineChart('chart-drift-score');
const driftFeatureChart = lineChart('chart-drift-feature');
const qualityChart = lineChart('chart-quality');
// the dead-letter share (a few per mille) on its own axis, right
(qualityChart.options.scales as Record<string, unknown>).share = {
  position: 'right',
  beginAtZero: true,
  grid: { drawOnChartArea: false },
  ticks: { callback: (v: number | string) => `${(Number(v) * 100).toFixed(2)} %` },
  title: { display: true, text: 'dead-letter share' },
};
const performanceCharts: Record<string, Chart<'line'>> = {
  roc_auc: lineChart('chart-perf-roc_auc'),
  average_precision: lineChart('chart-perf-average_precision'),
  card: lineChart('chart-perf-card'),
};
const featurePsiChart = new Chart($<HTMLCanvasElement>('chart-drift-features'), {
  type: 'bar',
  data: { labels: [], datasets: [] },
  options: {
    indexAxis: 'y',
    maintainAspectRatio: false,
    scales: { x: { beginAtZero: true }, y: { ticks: { autoSkip: false, font: { size: 11 } } } },
    plugins: { legend: { display: false } },
  },
});

function options(selectId: string, values: string[], chosen: string | null): void {
  const select = $<HTMLSelectElement>(selectId);
  select.replaceChildren(...values.map((v) => h('option', { value: v }, v)));
  if (chosen !== null) select.value = chosen;
}

function renderMonitoring(m: Monitoring | null): void {
  if (!m) {
    $('monitor-summary').textContent = '';
    $('monitor-error').textContent =
      'The monitor has not run: no rows in monitor_runs (start it with npm run monitor; see services/monitor).';
    return;
  }
  $('monitor-summary').textContent = `up to ${eventTime(m.range.to - 1, true)} UTC (the newest run)`;
  $('monitor-runs').textContent = count(m.runs.count);
  $('monitor-newest').textContent = eventTime(m.runs.newest, true);
  $('monitor-breaches').textContent = count(m.runs.breaches);
  $('monitor-open').textContent = count(m.episodes.length);
  $('monitor-retrainings').textContent = count(m.retrainings.length);
  options(
    'monitor-series',
    m.series.map((s) => s.name),
    m.selected?.name ?? null,
  );
  options(
    'monitor-feature',
    m.subjects.filter((s) => s.subject !== 'score').map((s) => s.subject),
    m.drift.feature,
  );
  $('drift-feature-name').textContent = m.drift.feature ?? 'none';
  setTimeline(driftScoreChart, driftData(m, 'score'));
  setTimeline(
    driftFeatureChart,
    m.drift.feature ? driftData(m, m.drift.feature) : { labels: [], datasets: [], breached: [] },
  );
  setBars(featurePsiChart, featurePsiBars(m.subjects));
  setTimeline(qualityChart, qualityData(m));
  const card = m.performance.metrics.find((x) => x.startsWith('card_precision_at_'));
  $('card-precision-title').textContent = card ? metricTitle(card) : 'Card precision@k';
  setTimeline(performanceCharts.roc_auc as Chart<'line'>, performanceData(m, 'roc_auc'));
  setTimeline(performanceCharts.average_precision as Chart<'line'>, performanceData(m, 'average_precision'));
  setTimeline(performanceCharts.card as Chart<'line'>, performanceData(m, card ?? ''));
  rows(
    'subjects-table',
    m.subjects.map((s) =>
      h(
        'tr',
        { 'data-subject': s.subject },
        h('td', {}, s.subject),
        h('td', { class: `num${s.driftBreached ? ' breached' : ''}` }, fixed3(s.psi)),
        h('td', { class: `num${s.driftBreached ? ' breached' : ''}` }, fixed3(s.ks)),
        h('td', { class: 'num' }, fixed3(s.psiMax)),
        h('td', { class: `num${s.qualityBreached ? ' breached' : ''}` }, share(s.nullShare)),
        h('td', { class: `num${s.qualityBreached ? ' breached' : ''}` }, share(s.outOfRangeShare)),
      ),
    ),
    'no drift or quality figures for this series',
    6,
  );
  rows(
    'alerts-table',
    m.alerts.map((a) =>
      h(
        'tr',
        { 'data-alert': a.alertId },
        h('td', { class: 'nowrap' }, eventTime(a.windowEnd, true)),
        h('td', {}, a.kind),
        h('td', {}, h('span', { class: `badge ${a.status === 'OPEN' ? 'bad' : 'ok'}` }, a.status)),
        h('td', {}, a.series),
        h('td', { class: 'parts' }, ...a.reasons.flatMap((r) => [r, h('br')])),
        h(
          'td',
          { class: 'parts' },
          ...a.evidence.flatMap((e) => [`${e.metric}(${e.subject}) `, h('b', {}, fixed3(e.value)), h('br')]),
        ),
        h(
          'td',
          { class: 'parts' },
          a.triggerId ? a.triggerId : 'no trigger (quality and mix alerts raise none)',
          a.retraining
            ? h(
                'div',
                {},
                h('b', {}, a.retraining.decision),
                a.retraining.candidateVersion ? ` version ${a.retraining.candidateVersion}` : '',
              )
            : a.triggerId
              ? h('div', {}, 'no retraining recorded yet')
              : null,
        ),
      ),
    ),
    'no alerts in the range',
    7,
  );
  rows(
    'retrainings-table',
    m.retrainings.map((r) =>
      h(
        'tr',
        { 'data-trigger': r.triggerId },
        h('td', { class: 'nowrap' }, eventTime(r.cutoff, true)),
        h('td', {}, `${r.model}@${r.championVersion}`),
        h(
          'td',
          {},
          h('b', {}, r.decision),
          r.candidateVersion ? ` → ${r.model}@${r.candidateVersion}` : '',
          r.error ? h('div', { class: 'parts' }, r.error.slice(0, 160)) : null,
        ),
        h(
          'td',
          { class: 'num' },
          `train ${count(r.trainRows)} (${count(r.trainFrauds)})`,
          h('br'),
          `eval ${count(r.evalRows)} (${count(r.evalFrauds)})`,
        ),
        h('td', { class: 'num' }, fixed3(r.candidate.averagePrecision), h('br'), fixed3(r.candidate.rocAuc)),
        h('td', { class: 'num' }, fixed3(r.champion.averagePrecision), h('br'), fixed3(r.champion.rocAuc)),
        h('td', { class: 'num' }, ms(r.durationMs)),
      ),
    ),
    'no retrainings in the range',
    7,
  );
  rows(
    'episodes-table',
    m.episodes.map((e) =>
      h(
        'tr',
        {},
        h('td', {}, e.kind),
        h('td', {}, e.series),
        h('td', {}, eventTime(e.openedAt, true)),
        h('td', { class: 'num' }, count(e.cleanRuns)),
      ),
    ),
    'none open',
    4,
  );
}

async function loadMonitoring(): Promise<void> {
  $('monitor-error').textContent = '';
  const params = new URLSearchParams({ days: $<HTMLSelectElement>('monitor-days').value });
  const series = $<HTMLSelectElement>('monitor-series').value;
  const feature = $<HTMLSelectElement>('monitor-feature').value;
  if (series) params.set('series', series);
  if (feature) params.set('feature', feature);
  try {
    const { monitoring } = await api<{ monitoring: Monitoring | null }>(`/api/monitoring?${params}`);
    renderMonitoring(monitoring);
  } catch (error) {
    $('monitor-error').textContent = `Monitoring unavailable: ${(error as Error).message}`;
  }
}
$('monitor-days').addEventListener('change', () => void loadMonitoring());
$('monitor-series').addEventListener('change', () => {
  $<HTMLSelectElement>('monitor-feature').value = '';
  void loadMonitoring();
});
$('monitor-feature').addEventListener('change', () => void loadMonitoring());

// Experiments --------------------------------------------------------------------------------------

const experimentCharts: Chart<'line'>[] = [];

function pValue(p: number | null): string {
  return p === null ? '–' : p < 0.001 ? '< 0.001' : p.toFixed(3);
}

function policy(mode: string, status: string, detail: string): HTMLElement {
  return h(
    'td',
    {},
    `${mode.toLowerCase()}: `,
    h('b', {}, status.toLowerCase()),
    detail ? h('div', { class: 'parts' }, detail) : null,
  );
}

function renderExperiments(e: Experiments): void {
  const names = [...new Set(e.standings.map((s) => s.experiment))];
  options('exp-name', names, e.selected?.experiment ?? null);
  $('exp-summary').textContent =
    names.length === 0
      ? 'no experiment has a look recorded (npm run experiments writes them)'
      : `${names.length} experiment${names.length === 1 ? '' : 's'}, ${e.standings.length} challenger${e.standings.length === 1 ? '' : 's'}`;
  rows(
    'exp-standings',
    e.standings.map((s) =>
      h(
        'tr',
        { 'data-variant': s.variant },
        h('td', {}, s.experiment),
        h('td', {}, `${s.variant} vs ${s.control}`),
        h('td', {}, `${s.variantModel || '–'} vs ${s.controlModel || '–'}`),
        h('td', { class: 'nowrap' }, eventTime(s.asOf, true)),
        h('td', { class: 'num' }, count(s.looks)),
        h('td', {}, h('b', {}, s.verdict)),
        h('td', {}, s.recommendation),
        policy(s.mode, s.actionStatus, s.actionDetail),
        h('td', { class: 'num' }, pValue(s.minPValue)),
      ),
    ),
    'no experiment has a look recorded',
    9,
  );
  const selected = e.selected;
  const latest = selected?.latest ?? [];
  $('exp-latest-title').textContent = latest[0]
    ? `Newest look: ${eventTime(latest[0].asOf)} UTC (${latest.map((l) => l.variant).join(', ')} against the control)`
    : 'Newest look';
  rows(
    'exp-figures',
    latest.flatMap((l) =>
      l.figures.map((f) =>
        h(
          'tr',
          { class: f.breached ? 'breached' : '', 'data-metric': f.metric },
          h('td', {}, latest.length > 1 ? `${l.variant}: ${f.metric}` : f.metric),
          h('td', {}, f.kind.toLowerCase()),
          h('td', { class: 'num' }, count(f.units)),
          h('td', { class: 'num' }, figureValue(f.metric, f.controlValue)),
          h('td', { class: 'num' }, figureValue(f.metric, f.value)),
          h('td', { class: 'num' }, figureValue(f.metric, f.difference)),
          h('td', { class: 'num nowrap' }, interval(f.metric, f.ci)),
          h('td', { class: `num nowrap ${sideOfZero(f) === 'spans' ? '' : 'decided'}` }, interval(f.metric, f.cs)),
          h('td', { class: 'num' }, pValue(f.pValue)),
          h('td', { class: 'num' }, figureValue(f.metric, f.mde)),
          h('td', { class: 'num' }, figureValue(f.metric, f.realized)),
        ),
      ),
    ),
    'no figures yet',
    11,
  );
  for (const chart of experimentCharts.splice(0)) chart.destroy();
  const charts = $('exp-charts');
  charts.replaceChildren();
  for (const [i, t] of (selected?.timelines ?? []).entries()) {
    const id = `chart-exp-${i}`;
    charts.append(
      h(
        'div',
        { class: 'panel' },
        h('h2', {}, `${t.variant}: ${t.metric} (${t.kind.toLowerCase()}), difference with its always-valid bounds`),
        h('div', { class: 'chart' }, h('canvas', { id })),
      ),
    );
    const chart = lineChart(id);
    chart.options.scales = { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: false } };
    setLine(chart, sequenceData(t));
    experimentCharts.push(chart);
  }
  rows(
    'exp-looks',
    (selected?.looks ?? []).map((l) =>
      h(
        'tr',
        {},
        h('td', { class: 'nowrap' }, eventTime(l.asOf, true)),
        h('td', {}, l.variant),
        h('td', {}, h('b', {}, l.verdict)),
        h('td', {}, l.recommendation),
        policy(l.mode, l.actionStatus, l.actionDetail),
        h('td', { class: 'num' }, pValue(l.minPValue)),
        h('td', {}, l.reasons.join('; ')),
      ),
    ),
    'no looks yet',
    7,
  );
}

async function loadExperiments(): Promise<void> {
  $('exp-error').textContent = '';
  const chosen = $<HTMLSelectElement>('exp-name').value;
  const params = new URLSearchParams(chosen ? { experiment: chosen } : {});
  try {
    const { experiments } = await api<{ experiments: Experiments }>(`/api/experiments?${params}`);
    renderExperiments(experiments);
  } catch (error) {
    $('exp-error').textContent = `Experiments unavailable: ${(error as Error).message}`;
  }
}
$('exp-name').addEventListener('change', () => void loadExperiments());

// Navigation ---------------------------------------------------------------------------------------

function show(page: string): void {
  for (const section of document.querySelectorAll<HTMLElement>('.page')) section.hidden = section.id !== `page-${page}`;
  for (const a of document.querySelectorAll<HTMLElement>('nav a'))
    a.classList.toggle('active', a.dataset.page === page);
  if (page === 'decisions') void loadMix();
  if (page === 'review') void loadQueue();
  if (page === 'models') void loadModels();
  if (page === 'monitoring') void loadMonitoring();
  if (page === 'experiments') void loadExperiments();
  if (page === 'rules') void loadRules();
}
/** The pages are the navigation's links: `#<page>` shows `#page-<page>`. */
const PAGES = [...document.querySelectorAll<HTMLElement>('nav a')].map((a) => a.dataset.page);
const pageOf = () => (PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'live');
window.addEventListener('hashchange', () => show(pageOf()));
$('mix-hours').addEventListener('change', () => void loadMix());
$('event-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void showEvent($<HTMLInputElement>('event-id').value);
});
$('review-refresh').addEventListener('click', () => void loadQueue());
$('rules-hours').addEventListener('change', () => void loadRules());
connectLive();
show(pageOf());
