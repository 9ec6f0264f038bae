// The operator dashboard's pages, rendered on the server from a JourneyReport (reporting/types.ts): plain HTML
// and inline SVG charts, no JavaScript at all, so it works with scripts disabled and under a CSP without
// 'script-src'. Pure (no imports but types): api/routes/dashboard.ts serves these strings.
//
// Every value that reaches the page went through escapeHtml: journey, step, split, arm and template names come
// from authors' code, reasons and statuses from events and providers. SVG text is escaped the same way (it is
// HTML-embedded SVG). No `style` attribute anywhere (the CSP allows only the one stylesheet, by its hash):
// charts are coloured with SVG presentation attributes (fill, stroke), which CSP does not govern.
import type { ArmComparison } from './stats';
import type { JourneyReport, JourneySummary, ReportWindow } from './types';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML (and HTML-embedded SVG) element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const esc = escapeHtml;

/** Where the dashboard is mounted (api/routes/dashboard.ts); links and forms point below it. */
export const DASHBOARD_PATH = '/dashboard';

// Contrast (WCAG AA): body #1f2937 on white 14.7:1, muted #4b5563 7.6:1, links #1d4ed8 6.7:1.
export const DASHBOARD_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #1f2937; font: .95rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
header.top { background: #111827; color: #f9fafb; padding: .6rem 1.5rem; display: flex; gap: 1rem; align-items: center; justify-content: space-between; flex-wrap: wrap; }
header.top a { color: #f9fafb; font-weight: 600; text-decoration: none; }
header.top form { margin: 0; }
header.top button { background: transparent; border-color: #9ca3af; padding: .2rem .7rem; font-weight: 500; }
main { max-width: 62rem; margin: 1.25rem auto 2rem; padding: 1.25rem 1.75rem 1.75rem; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; }
main.narrow { max-width: 30rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; padding-top: .75rem; border-top: 1px solid #e5e7eb; }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; overflow-wrap: anywhere; }
p { margin: .5rem 0; }
a { color: #1d4ed8; }
.note { color: #4b5563; font-size: .875rem; }
.problem { border-left: 4px solid #b91c1c; background: #fef2f2; padding: .75rem 1rem; margin: 1rem 0; }
.empty { border-left: 4px solid #9ca3af; background: #f9fafb; padding: .75rem 1rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid #e5e7eb; padding: .35rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { border-bottom: 2px solid #d1d5db; font-size: .85rem; color: #374151; }
td.num, th.num { text-align: right; white-space: nowrap; }
ul.reasons { margin: 0; padding: 0; list-style: none; }
dl.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: .5rem; margin: 1rem 0; }
dl.tiles div { border: 1px solid #e5e7eb; border-radius: 6px; padding: .5rem .75rem; }
dl.tiles dt { color: #4b5563; font-size: .8rem; }
dl.tiles dd { margin: 0; font-size: 1.25rem; font-weight: 600; font-variant-numeric: tabular-nums; }
dl.tiles dd small { font-size: .8rem; font-weight: 400; color: #4b5563; }
figure { margin: .75rem 0 1rem; }
figure svg { display: block; width: 100%; height: auto; max-width: 720px; }
figcaption { color: #4b5563; font-size: .875rem; }
form.window { display: flex; gap: .75rem; align-items: end; flex-wrap: wrap; margin: .75rem 0; }
form.window label { display: flex; flex-direction: column; font-size: .8rem; color: #374151; }
input { font: inherit; padding: .35rem .5rem; border: 1px solid #9ca3af; border-radius: 4px; }
form.login label { display: block; font-weight: 600; margin-top: 1rem; }
form.login input { width: 100%; margin-top: .25rem; }
button { font: inherit; font-weight: 600; color: #fff; background: #1d4ed8; border: 2px solid #1d4ed8; border-radius: 6px; padding: .4rem 1rem; cursor: pointer; }
form.login button { margin-top: 1rem; }
button:hover { background: #1e40af; border-color: #1e40af; }
:focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
@media (max-width: 40rem) { main { margin: 0; border: 0; border-radius: 0; padding: 1rem; } }
`;

const n = (v: number): string => v.toLocaleString('en-US');
const pct = (rate: number): string => `${(rate * 100).toFixed(1)}%`;
const pp = (diff: number): string => `${diff >= 0 ? '+' : '−'}${Math.abs(diff * 100).toFixed(1)} pp`;
const pValue = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
/** Longest name drawn in a chart's label column; the full name is in the row's <title>. */
const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** 90 s → "1 min 30 s", 3 days and 4 hours → "3 d 4 h": the two largest units. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms));
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count} ${unit}`);
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith('0 ')).join(' ') || `${Math.round(ms)} ms`;
}

/** The query string of a window (`?since=…&until=…`), empty for all time. */
export function windowQuery(window: ReportWindow): string {
  const q = new URLSearchParams();
  if (window.since) q.set('since', window.since);
  if (window.until) q.set('until', window.until);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const journeyPath = (journey: string, window: ReportWindow = {}): string =>
  `${DASHBOARD_PATH}/journeys/${encodeURIComponent(journey)}${windowQuery(window)}`;

function describeWindow(window: ReportWindow): string {
  if (window.since && window.until) return `from ${window.since} until ${window.until}`;
  if (window.since) return `since ${window.since}`;
  if (window.until) return `until ${window.until}`;
  return 'all time';
}

/** A whole page. `body` is trusted HTML: every value in it is escaped by its maker. */
function layout(title: string, body: string, options: { signedIn?: boolean; narrow?: boolean } = {}): string {
  const signOut = options.signedIn ? `<form method="post" action="${DASHBOARD_PATH}/logout"><button type="submit">Sign out</button></form>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${esc(title)} · omnijourney</title>
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<header class="top"><a href="${DASHBOARD_PATH}">omnijourney · operator dashboard</a>${signOut}</header>
<main${options.narrow ? ' class="narrow"' : ''}>
${body}
</main>
</body>
</html>
`;
}

/** The since/until form (a GET form: works without JavaScript, keeps the window in the URL). */
function windowForm(action: string, window: ReportWindow): string {
  return `<form class="window" method="get" action="${esc(action)}" aria-label="Time window">
<label for="since">From (ISO date or time, or 7d)<input id="since" name="since" value="${esc(window.since ?? '')}" placeholder="2026-11-01 or 7d"></label>
<label for="until">Before (ISO date or time, or 1d)<input id="until" name="until" value="${esc(window.until ?? '')}" placeholder="2026-12-01"></label>
<button type="submit">Show</button>
</form>`;
}

/** The journey list: every journey with facts in the window, with its numbers, each linking to its page. */
export function renderJourneyList(summaries: readonly JourneySummary[], window: ReportWindow): string {
  const rows = [...summaries]
    .sort((a, b) => a.journey.localeCompare(b.journey))
    .map(
      (s) => `<tr>
<th scope="row"><a href="${esc(journeyPath(s.journey, window))}">${esc(s.journey)}</a></th>
<td class="num">${n(s.entered)}</td>
<td class="num">${n(s.active)}</td>
<td class="num">${n(s.converted)}</td>
<td class="num">${s.entered > 0 ? pct(s.converted / s.entered) : '—'}</td>
<td>${esc(s.lastAt)}</td>
</tr>`,
    )
    .join('\n');
  const table = summaries.length
    ? `<table>
<caption>Journeys with facts (${esc(describeWindow(window))})</caption>
<thead><tr><th scope="col">Journey</th><th scope="col" class="num">Entered</th><th scope="col" class="num">Active</th><th scope="col" class="num">Converted</th><th scope="col" class="num">Conversion</th><th scope="col">Last fact</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
    : `<p class="empty">No journey has facts in this window yet. Journeys appear here once the worker has recorded their first runs.</p>`;
  return layout(
    'Journeys',
    `<h1>Journeys</h1>
<p class="note">Runs entered ${esc(describeWindow(window))}; active runs have not completed, exited or failed. Select a journey for its funnel, splits and messages.</p>
${windowForm(DASHBOARD_PATH, window)}
${table}`,
    { signedIn: true },
  );
}

/** One journey's page: summary, funnel, splits, messages and deliveries over time. */
export function renderJourney(report: JourneyReport): string {
  const window: ReportWindow = { since: report.since, until: report.until };
  const body = `<p><a href="${esc(`${DASHBOARD_PATH}${windowQuery(window)}`)}">← All journeys</a></p>
<h1>${esc(report.journey)}</h1>
<p class="note">Runs entered ${esc(describeWindow(window))}. Generated ${esc(report.generatedAt)}.</p>
${windowForm(journeyPath(report.journey), window)}
${summaryTiles(report)}
<h2 id="funnel">Funnel</h2>
${funnelSection(report)}
<h2 id="splits">Splits</h2>
${splitsSection(report)}
<h2 id="messages">Messages</h2>
${messagesSection(report)}
<h2 id="deliveries">Deliveries over time</h2>
${deliveriesSection(report)}`;
  return layout(report.journey, body, { signedIn: true });
}

function summaryTiles(r: JourneyReport): string {
  const tile = (label: string, value: string, small = ''): string =>
    `<div><dt>${esc(label)}</dt><dd>${value}${small ? ` <small>${small}</small>` : ''}</dd></div>`;
  const notEntered = r.notEntered.reduce((sum, x) => sum + x.count, 0);
  const reasons = r.notEntered.map((x) => `${esc(x.reason)} ${n(x.count)}`).join(', ');
  return `<dl class="tiles">
${tile('Entered', n(r.entered), `${n(r.customers)} customers`)}
${tile('Active', n(r.active))}
${tile('Completed', n(r.ended.completed))}
${tile('Exited', n(r.ended.exited))}
${tile('Failed', n(r.ended.failed))}
${tile('Converted', n(r.conversions.runs), pct(r.conversions.rate))}
${tile('Median time to convert', r.conversions.medianMsToConvert === null ? '—' : esc(formatDuration(r.conversions.medianMsToConvert)))}
${tile('Converted after the end', n(r.conversions.afterEnd))}
${tile('Not entered', n(notEntered), reasons)}
${tile('Rejected events', n(r.rejected))}
</dl>`;
}

/** Attributes that tie an SVG to its <title> and <desc> for screen readers. */
function svgOpen(id: string, width: number, height: number, title: string, desc: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="system-ui, sans-serif" font-size="12">
<title id="${id}-title">${esc(title)}</title>
<desc id="${id}-desc">${esc(desc)}</desc>`;
}

const FUNNEL = { width: 720, label: 180, value: 200, row: 32, top: 34 };

/** Horizontal bars: runs that reached each step (light) and active runs whose latest step it is (dark). */
export function funnelSvg(r: JourneyReport, id = 'funnel-chart'): string {
  const rows = [{ step: 'entered', reached: r.entered, now: 0, entry: true }, ...r.funnel.map((f) => ({ ...f, entry: false }))];
  const max = Math.max(1, ...rows.map((x) => x.reached));
  const barMax = FUNNEL.width - FUNNEL.label - FUNNEL.value - 10;
  const w = (v: number): number => Math.max(v > 0 ? 1 : 0, Math.round((v / max) * barMax));
  const height = FUNNEL.top + rows.length * FUNNEL.row + 6;
  const desc = rows.map((x) => (x.entry ? `entered ${x.reached}` : `${x.step}: reached ${x.reached}, now ${x.now}`)).join('; ');
  const bars = rows
    .map((x, i) => {
      const y = FUNNEL.top + i * FUNNEL.row;
      const share = r.entered > 0 ? ` (${pct(x.reached / r.entered)})` : '';
      const value = x.entry ? `${n(x.reached)} entered` : `${n(x.reached)} reached${share} · ${n(x.now)} now`;
      return `<g><title>${esc(x.entry ? `Entered: ${x.reached}` : `${x.step}: ${x.reached} reached, ${x.now} now`)}</title>
<text x="${FUNNEL.label - 8}" y="${y + 15}" text-anchor="end" fill="#1f2937"${x.entry ? ' font-style="italic"' : ''}>${esc(clip(x.entry ? 'entered' : x.step, 26))}</text>
<rect x="${FUNNEL.label}" y="${y}" width="${w(x.reached)}" height="22" fill="#93c5fd"/>
<rect x="${FUNNEL.label}" y="${y + 6}" width="${w(x.now)}" height="10" fill="#1d4ed8"/>
<text x="${FUNNEL.label + w(x.reached) + 6}" y="${y + 15}" fill="#1f2937">${esc(value)}</text>
</g>`;
    })
    .join('\n');
  return `${svgOpen(id, FUNNEL.width, height, `Funnel of ${r.journey}`, `Runs that reached each step, and active runs whose latest step it is: ${desc}`)}
<rect x="${FUNNEL.label}" y="6" width="12" height="12" fill="#93c5fd"/><text x="${FUNNEL.label + 18}" y="16" fill="#1f2937">reached</text>
<rect x="${FUNNEL.label + 90}" y="6" width="12" height="12" fill="#1d4ed8"/><text x="${FUNNEL.label + 108}" y="16" fill="#1f2937">now (active runs at this step)</text>
${bars}
</svg>`;
}

function funnelSection(r: JourneyReport): string {
  if (r.entered === 0 && r.funnel.length === 0) return '<p class="empty">No run entered this journey in this window.</p>';
  const empty = r.funnel.length === 0 ? '<p class="note">No run has reached a named step (j.step) yet.</p>' : '';
  return `<figure>
${funnelSvg(r)}
<figcaption>Runs that reached each step in first-reached order; “now” counts active runs whose latest step it is.</figcaption>
</figure>${empty}`;
}

const VERDICT_COLOURS: Record<ArmComparison['verdict'], string> = {
  'better than control': '#15803d',
  'worse than control': '#b91c1c',
  'no significant difference': '#4b5563',
  'not enough data yet': '#6b7280',
};

const INTERVALS = { width: 720, label: 150, right: 220, row: 56, top: 14, axis: 34 };

/** A point (the difference in conversion rate) and a line (its 95% interval) per non-control arm, against zero. */
export function intervalSvg(split: JourneyReport['splits'][number], id: string): string {
  const cs = split.comparisons;
  const x0 = INTERVALS.label + 10;
  const x1 = INTERVALS.width - INTERVALS.right - 10;
  const extent = niceCeil(Math.max(0.02, ...cs.flatMap((c) => [Math.abs(c.ci95[0]), Math.abs(c.ci95[1]), Math.abs(c.difference)])) * 1.05);
  const x = (v: number): number => Math.round((x0 + ((Math.max(-extent, Math.min(extent, v)) + extent) / (2 * extent)) * (x1 - x0)) * 10) / 10;
  const plotBottom = INTERVALS.top + cs.length * INTERVALS.row;
  const height = plotBottom + INTERVALS.axis;
  const ticks = [-extent, -extent / 2, 0, extent / 2, extent]
    .map(
      (t) => `<line x1="${x(t)}" y1="${plotBottom}" x2="${x(t)}" y2="${plotBottom + 5}" stroke="#4b5563"/>
<text x="${x(t)}" y="${plotBottom + 18}" text-anchor="middle" fill="#4b5563">${esc(t === 0 ? '0' : pp(t).replace('.0 ', ' '))}</text>`,
    )
    .join('\n');
  const rows = cs
    .map((c, i) => {
      const y = INTERVALS.top + i * INTERVALS.row + 22;
      const colour = VERDICT_COLOURS[c.verdict] ?? '#4b5563';
      const summary = `${c.arm} vs ${c.control}: ${pp(c.difference)}, 95% interval ${pp(c.ci95[0])} to ${pp(c.ci95[1])}, ${pValue(c.pValue)}, ${c.verdict}`;
      return `<g><title>${esc(summary)}</title>
<text x="${INTERVALS.label}" y="${y + 4}" text-anchor="end" fill="#1f2937">${esc(clip(`${c.arm} vs ${c.control}`, 22))}</text>
<line x1="${x(c.ci95[0])}" y1="${y}" x2="${x(c.ci95[1])}" y2="${y}" stroke="${colour}" stroke-width="3"/>
<line x1="${x(c.ci95[0])}" y1="${y - 6}" x2="${x(c.ci95[0])}" y2="${y + 6}" stroke="${colour}" stroke-width="2"/>
<line x1="${x(c.ci95[1])}" y1="${y - 6}" x2="${x(c.ci95[1])}" y2="${y + 6}" stroke="${colour}" stroke-width="2"/>
<circle cx="${x(c.difference)}" cy="${y}" r="5.5" fill="${colour}"/>
<text x="${x1 + 16}" y="${y - 10}" fill="${colour}" font-weight="600">${esc(c.verdict)}</text>
<text x="${x1 + 16}" y="${y + 5}" fill="#374151">${esc(`${pValue(c.pValue)} · ${pp(c.difference)}`)}</text>
<text x="${x1 + 16}" y="${y + 20}" fill="#4b5563">${esc(`95% interval ${pp(c.ci95[0])} to ${pp(c.ci95[1])}`)}</text>
</g>`;
    })
    .join('\n');
  return `${svgOpen(id, INTERVALS.width, height, `Split ${split.split}: conversion rate difference against ${split.control}, with 95% intervals`, cs.map((c) => `${c.arm}: ${pp(c.difference)} [${pp(c.ci95[0])}, ${pp(c.ci95[1])}], ${pValue(c.pValue)}, ${c.verdict}`).join('; '))}
<line x1="${x0}" y1="${plotBottom}" x2="${x1}" y2="${plotBottom}" stroke="#9ca3af"/>
<line x1="${x(0)}" y1="${INTERVALS.top - 6}" x2="${x(0)}" y2="${plotBottom}" stroke="#111827" stroke-dasharray="4 3"/>
${ticks}
<text x="${(x0 + x1) / 2}" y="${height - 2}" text-anchor="middle" fill="#4b5563">difference in conversion rate against ${esc(split.control)} (percentage points; 0 = no difference)</text>
${rows}
</svg>`;
}

function armsTable(split: JourneyReport['splits'][number]): string {
  const byArm = new Map(split.comparisons.map((c) => [c.arm, c]));
  const rows = split.arms
    .map((a) => {
      const c = byArm.get(a.arm);
      const versus = c
        ? `<td class="num">${esc(pp(c.difference))}</td><td class="num">${esc(`${pp(c.ci95[0])} to ${pp(c.ci95[1])}`)}</td><td class="num">${esc(pValue(c.pValue))}</td><td>${esc(c.verdict)}</td>`
        : `<td colspan="4">${a.arm === split.control ? 'control' : '—'}</td>`;
      return `<tr><th scope="row">${esc(a.arm)}</th><td class="num">${n(a.customers)}</td><td class="num">${n(a.conversions)}</td><td class="num">${pct(a.rate)}</td>${versus}</tr>`;
    })
    .join('\n');
  return `<table>
<caption>Arms of ${esc(split.split)} (control: ${esc(split.control)})</caption>
<thead><tr><th scope="col">Arm</th><th scope="col" class="num">Customers</th><th scope="col" class="num">Conversions</th><th scope="col" class="num">Rate</th><th scope="col" class="num">Difference</th><th scope="col" class="num">95% interval</th><th scope="col" class="num">p-value</th><th scope="col">Verdict</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function splitsSection(r: JourneyReport): string {
  if (r.splits.length === 0) return '<p class="empty">This journey has no splits (j.split) with runs in this window.</p>';
  return r.splits
    .map((s, i) => {
      const methods = [...new Set(s.comparisons.map((c) => c.method))];
      const chart = s.comparisons.length
        ? `<figure>
${intervalSvg(s, `split-chart-${i + 1}`)}
<figcaption>Each arm's conversion rate minus ${esc(s.control)}'s: the point is the difference, the line its 95% interval, the dashed line no difference. The verdict and p-value come from the pooled z-test, the interval is unpooled: near p = 0.05 an interval can just miss zero while the verdict is “no significant difference”.</figcaption>
</figure>`
        : '<p class="note">Only one arm has runs: nothing to compare yet.</p>';
      const method = methods.length ? `<p class="note">Method: ${methods.map(esc).join('; ')}.</p>` : '';
      return `<h3>${esc(s.split)}</h3>
${armsTable(s)}
${chart}
${method}`;
    })
    .join('\n');
}

function messagesSection(r: JourneyReport): string {
  if (r.messages.length === 0) return '<p class="empty">No delivery decisions in this window.</p>';
  const list = (items: Array<{ label: string; count: number }>): string =>
    items.length ? `<ul class="reasons">${items.map((x) => `<li>${esc(x.label)}: ${n(x.count)}</li>`).join('')}</ul>` : '—';
  const rows = r.messages
    .map((m) => {
      const suppressed = m.suppressed.reduce((sum, x) => sum + x.count, 0);
      return `<tr><th scope="row">${esc(m.template)}</th><td>${m.channel === null ? '<span class="note">none chosen</span>' : esc(m.channel)}</td>
<td class="num">${n(m.sent)}</td><td class="num">${n(suppressed)}</td><td>${list(m.suppressed.map((x) => ({ label: x.reason, count: x.count })))}</td>
<td class="num">${n(m.deferred)}</td><td class="num">${n(m.failed)}</td><td>${list(m.provider.map((x) => ({ label: x.status, count: x.count })))}</td></tr>`;
    })
    .join('\n');
  return `<table>
<caption>Delivery decisions by template and channel</caption>
<thead><tr><th scope="col">Template</th><th scope="col">Channel</th><th scope="col" class="num">Sent</th><th scope="col" class="num">Suppressed</th><th scope="col">Suppressed because</th><th scope="col" class="num">Deferred</th><th scope="col" class="num">Failed</th><th scope="col">Provider status</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="note">A channel of “none chosen” means the message was suppressed before a channel was picked (consent, caps).</p>`;
}

/** Colour families by outcome: sent and delivered green, deferred blue, suppressed amber, failed red, others grey. */
const FAMILIES: Array<{ test: RegExp; colours: string[] }> = [
  { test: /^(sent|delivered|read|opened|clicked)$/, colours: ['#15803d', '#4ade80', '#166534', '#86efac'] },
  { test: /^(deferred|queued|accepted|sending)$/, colours: ['#2563eb', '#93c5fd', '#1e3a8a', '#60a5fa'] },
  { test: /^suppressed$/, colours: ['#d97706', '#fcd34d', '#92400e', '#fbbf24', '#b45309', '#fde68a'] },
  { test: /^(failed|undelivered|bounced|rejected)$/, colours: ['#b91c1c', '#f87171', '#7f1d1d', '#fca5a5'] },
  { test: /./, colours: ['#6b7280', '#a78bfa', '#374151', '#d1d5db'] },
];

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

/** A round upper bound for a symmetric axis in proportions (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten),
 *  so its half is a readable tick too. */
export function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  // toPrecision: 3 * 0.1 is 0.30000000000000004, and the axis labels show it.
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * power >= value * (1 - 1e-12)) return Number((m * power).toPrecision(12));
  return 10 * power;
}

interface Series {
  key: string;
  colour: string;
}

function deliverySeries(rows: JourneyReport['deliveriesByDay']): Series[] {
  const keys = [...new Set(rows.map((d) => `${d.status}${d.reason ? `: ${d.reason}` : ''}`))];
  const used = new Map<number, number>();
  const family = (key: string): number => FAMILIES.findIndex((f) => f.test.test(key.split(': ')[0]));
  return keys
    .sort((a, b) => family(a) - family(b) || a.localeCompare(b))
    .map((key) => {
      const f = family(key);
      const i = used.get(f) ?? 0;
      used.set(f, i + 1);
      return { key, colour: FAMILIES[f].colours[i % FAMILIES[f].colours.length] };
    });
}

const DAYS = { width: 720, left: 48, right: 10, top: 12, plot: 200, axis: 30, legendRow: 18, legendCols: 3 };

/** Delivery outcomes (status and reason) per day as stacked bars, with a legend. */
export function deliveriesSvg(rows: JourneyReport['deliveriesByDay'], id = 'deliveries-chart'): string {
  const series = deliverySeries(rows);
  const days = [...new Set(rows.map((d) => d.day))].sort();
  const count = new Map(rows.map((d) => [`${d.day}|${d.status}${d.reason ? `: ${d.reason}` : ''}`, 0]));
  for (const d of rows) {
    const k = `${d.day}|${d.status}${d.reason ? `: ${d.reason}` : ''}`;
    count.set(k, (count.get(k) ?? 0) + d.count);
  }
  const totals = days.map((day) => series.reduce((sum, s) => sum + (count.get(`${day}|${s.key}`) ?? 0), 0));
  const yMax = niceMax(Math.max(0, ...totals));
  const plotW = DAYS.width - DAYS.left - DAYS.right;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(2, Math.min(44, slot * 0.7));
  const y = (v: number): number => DAYS.top + DAYS.plot - (v / yMax) * DAYS.plot;
  const base = DAYS.top + DAYS.plot;
  const every = Math.ceil(days.length / 12);
  const bars = days
    .map((day, i) => {
      const bx = Math.round((DAYS.left + i * slot + (slot - barW) / 2) * 10) / 10;
      let acc = 0;
      const stack = series
        .map((s) => {
          const v = count.get(`${day}|${s.key}`) ?? 0;
          if (v === 0) return '';
          const top = y(acc + v);
          const h = y(acc) - top;
          acc += v;
          return `<rect x="${bx}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.colour}"><title>${esc(`${day} · ${s.key}: ${v}`)}</title></rect>`;
        })
        .join('');
      const label =
        i % every === 0 ? `<text x="${(bx + barW / 2).toFixed(1)}" y="${base + 16}" text-anchor="middle" fill="#4b5563">${esc(day.slice(5))}</text>` : '';
      return `${stack}${label}`;
    })
    .join('\n');
  const legendTop = base + DAYS.axis;
  const colW = plotW / DAYS.legendCols;
  const legend = series
    .map((s, i) => {
      const lx = DAYS.left + (i % DAYS.legendCols) * colW;
      const ly = legendTop + Math.floor(i / DAYS.legendCols) * DAYS.legendRow;
      return `<g><title>${esc(s.key)}</title><rect x="${lx}" y="${ly}" width="12" height="12" fill="${s.colour}"/><text x="${lx + 18}" y="${ly + 10}" fill="#1f2937">${esc(clip(s.key, 34))}</text></g>`;
    })
    .join('\n');
  const height = legendTop + Math.ceil(series.length / DAYS.legendCols) * DAYS.legendRow + 4;
  const gridlines = [0, yMax / 2, yMax]
    .map(
      (t) =>
        `<line x1="${DAYS.left}" y1="${y(t)}" x2="${DAYS.width - DAYS.right}" y2="${y(t)}" stroke="#e5e7eb"/><text x="${DAYS.left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#4b5563">${n(t)}</text>`,
    )
    .join('\n');
  const desc = days.map((day, i) => `${day}: ${totals[i]}`).join('; ');
  return `${svgOpen(id, DAYS.width, height, 'Delivery outcomes per day (UTC), stacked by status and reason', `Delivery decisions and provider statuses per day: ${desc}`)}
${gridlines}
<line x1="${DAYS.left}" y1="${base}" x2="${DAYS.width - DAYS.right}" y2="${base}" stroke="#9ca3af"/>
${bars}
${legend}
</svg>`;
}

function deliveriesSection(r: JourneyReport): string {
  if (r.deliveriesByDay.length === 0) return '<p class="empty">No deliveries in this window.</p>';
  const rows = [...r.deliveriesByDay]
    .sort((a, b) => a.day.localeCompare(b.day) || a.status.localeCompare(b.status) || (a.reason ?? '').localeCompare(b.reason ?? ''))
    .map(
      (d) =>
        `<tr><th scope="row">${esc(d.day)}</th><td>${esc(d.status)}</td><td>${d.reason === null ? '—' : esc(d.reason)}</td><td class="num">${n(d.count)}</td></tr>`,
    )
    .join('\n');
  return `<figure>
${deliveriesSvg(r.deliveriesByDay)}
<figcaption>Each bar is one day (UTC); its parts are the outcomes by status and reason.</figcaption>
</figure>
<details>
<summary>The numbers behind the chart</summary>
<table>
<caption>Delivery outcomes per day</caption>
<thead><tr><th scope="col">Day (UTC)</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col" class="num">Count</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</details>`;
}

/** The sign-in page: one field for the operator token. `next` is where to go back to (a /dashboard path). */
export function renderLogin(options: { next: string; refused?: boolean }): string {
  const problem = options.refused
    ? '<p class="problem" role="alert">That token was not accepted. Check it and try again.</p>'
    : '<p>Sign in with an operator token (OPERATOR_TOKENS) to see journeys, funnels, splits and deliveries.</p>';
  return layout(
    'Sign in',
    `<h1>Operator dashboard</h1>
${problem}
<form class="login" method="post" action="${DASHBOARD_PATH}/login">
<input type="hidden" name="next" value="${esc(options.next)}">
<label for="token">Operator token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
<p class="note">Signing in sets a cookie for this dashboard only. From a terminal, send <code>Authorization: Bearer &lt;token&gt;</code> instead.</p>`,
    { narrow: true },
  );
}

/** A page with a heading and a few paragraphs of text (facts off, no facts yet, a bad window, an outage). */
export function renderNotice(title: string, paragraphs: readonly string[], options: { signedIn?: boolean } = {}): string {
  return layout(title, `<h1>${esc(title)}</h1>\n${paragraphs.map((p) => `<p>${esc(p)}</p>`).join('\n')}\n<p><a href="${DASHBOARD_PATH}">Journeys</a></p>`, {
    signedIn: options.signedIn,
    narrow: true,
  });
}
