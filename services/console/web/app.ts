/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The console's browser application: three pages over the console's API, charts with Chart.js,
// the live page fed by server-sent events. Data shaping lives in format.ts and charts-data.ts.
import { Chart, registerables } from 'chart.js';
import type { DecisionMix, Provenance, QueueItem } from '../src/decisions/shape.js';
import type { LiveSnapshot } from '../src/live/snapshot.js';
import type { RuleHits } from '../src/rules/hits.js';
import type { RuleSetView } from '../src/rules/rule-file.js';
import { type BarData, type LineData, latencyData, mixData, throughputData } from './charts-data.js';
import { amount, count, eventTime, groupLag, ms, rate, reasons, score } from './format.js';
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
  const body = (await response.json().catch(() => ({ error: `HTTP ${response.status}` }))) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

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

const reviewerInput = $<HTMLInputElement>('reviewer');
reviewerInput.value = localStorage.getItem('console.reviewer') ?? '';
reviewerInput.addEventListener('change', () => localStorage.setItem('console.reviewer', reviewerInput.value.trim()));

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
            { type: 'button', class: v, 'data-verdict': v },
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
      body: JSON.stringify({ verdict, reviewer: reviewerInput.value }),
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

// Navigation ---------------------------------------------------------------------------------------

function show(page: string): void {
  for (const section of document.querySelectorAll<HTMLElement>('.page')) section.hidden = section.id !== `page-${page}`;
  for (const a of document.querySelectorAll<HTMLElement>('nav a'))
    a.classList.toggle('active', a.dataset.page === page);
  if (page === 'decisions') void loadMix();
  if (page === 'review') void loadQueue();
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
