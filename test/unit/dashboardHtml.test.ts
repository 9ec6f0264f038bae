// The dashboard's pages (reporting/dashboardHtml.ts) from hand-made reports: complete HTML without a single
// script, charts as SVG with titles, tables with headers, and every author- or event-supplied string escaped.
import { formatDuration, niceCeil, niceMax, renderJourney, renderJourneyList, renderLogin, renderNotice } from '../../reporting/dashboardHtml';
import { compareArms } from '../../reporting/stats';
import type { JourneyReport, JourneySummary } from '../../reporting/types';

const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

function report(overrides: Partial<JourneyReport> = {}): JourneyReport {
  const offer = [
    { arm: 'a', customers: 200, conversions: 20, rate: 0.1 },
    { arm: 'b', customers: 200, conversions: 60, rate: 0.3 },
  ];
  const holdout = [
    { arm: 'control', customers: 40, conversions: 6, rate: 0.15 },
    { arm: 'treatment', customers: 360, conversions: 74, rate: 74 / 360 },
  ];
  return {
    journey: 'welcome',
    generatedAt: '2026-12-01T10:00:00.000Z',
    since: '2026-11-20T00:00:00.000Z',
    entered: 400,
    customers: 390,
    notEntered: [{ reason: 'cooldown', count: 7 }],
    rejected: 2,
    active: 35,
    ended: { completed: 300, exited: 60, failed: 5 },
    funnel: [
      { step: 'welcome-email', reached: 400, now: 0 },
      { step: 'wait-for-activation', reached: 380, now: 25 },
      { step: 'nudge-sms', reached: 150, now: 10 },
    ],
    messages: [
      {
        template: 'welcome',
        channel: 'email',
        sent: 390,
        suppressed: [{ reason: 'consent', count: 10 }],
        deferred: 4,
        failed: 1,
        provider: [{ status: 'delivered', count: 380 }],
      },
      { template: 'nudge', channel: null, sent: 0, suppressed: [{ reason: 'cap', count: 12 }], deferred: 0, failed: 0, provider: [] },
    ],
    conversions: { runs: 80, rate: 0.2, medianMsToConvert: 2 * 86_400_000 + 3 * 3_600_000, afterEnd: 3 },
    splits: [
      { split: 'offer', control: 'a', arms: offer, comparisons: compareArms(offer, 'a') },
      { split: 'holdout', control: 'control', arms: holdout, comparisons: compareArms(holdout, 'control') },
    ],
    deliveriesByDay: [
      { day: '2026-11-20', status: 'sent', reason: null, count: 120 },
      { day: '2026-11-20', status: 'suppressed', reason: 'consent', count: 4 },
      { day: '2026-11-21', status: 'sent', reason: null, count: 140 },
      { day: '2026-11-21', status: 'suppressed', reason: 'quiet-hours', count: 9 },
      { day: '2026-11-22', status: 'failed', reason: 'timeout', count: 1 },
    ],
    ...overrides,
  };
}

/** Every <svg>…</svg> of a page. */
const svgs = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
/** The text of a page without its tags, entities decoded: what a reader sees. */
const text = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('renderJourney', () => {
  const html = renderJourney(report());

  test('a complete page without any script, event handler or javascript: URL', () => {
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('</html>');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
    // The CSP allows one stylesheet by hash: no style attributes.
    expect(html).not.toMatch(/\sstyle=/i);
  });

  test('every chart is an SVG with a title and a description tied to it', () => {
    const charts = svgs(html);
    expect(charts).toHaveLength(4); // the funnel, two splits, the deliveries
    for (const svg of charts) {
      const id = /aria-labelledby="([^" ]+)-title \1-desc"/.exec(svg)?.[1];
      expect(id).toBeDefined();
      expect(svg).toContain(`<title id="${id}-title">`);
      expect(svg).toContain(`<desc id="${id}-desc">`);
      expect(svg).toContain('role="img"');
    }
  });

  test('the funnel draws reached and now for every step, with the numbers as text', () => {
    const funnel = svgs(html)[0];
    expect(funnel).toContain('<title id="funnel-chart-title">Funnel of welcome</title>');
    expect(text(funnel)).toContain('380 reached (95.0%) · 25 now');
    expect(text(funnel)).toContain('400 entered');
    expect(funnel.match(/<rect [^>]*fill="#93c5fd"/g)?.length).toBe(1 + 4); // legend + entered + three steps
  });

  test('each split: the arms, the difference with its 95% interval against zero, verdict, p-value and method', () => {
    const [offer, holdout] = svgs(html).slice(1, 3);
    expect(text(offer)).toContain('better than control');
    expect(text(offer)).toContain('p < 0.001 · +20.0 pp');
    expect(text(offer)).toMatch(/95% interval \+1\d\.\d pp to \+2\d\.\d pp/);
    expect(text(offer)).toContain('+30 pp'); // a round axis: ±30 and ±15 around 0
    expect(offer).toContain('stroke-dasharray="4 3"'); // the zero line
    expect(offer.match(/<circle /g)).toHaveLength(1); // one point per non-control arm
    expect(text(holdout)).toContain('treatment vs control');
    expect(text(holdout)).toContain('no significant difference');
    expect(text(html)).toContain('Method: two-proportion z-test (pooled), Wald 95% CI (unpooled).');
    expect(text(html)).toMatch(/Arms of offer \(control: a\) Arm Customers Conversions Rate/);
    expect(text(html)).toContain('b 200 60 30.0% +20.0 pp');
  });

  test('messages by template and channel, with suppressed reasons and provider statuses', () => {
    const t = text(html);
    expect(t).toContain('welcome email 390 10 consent: 10 4 1 delivered: 380');
    expect(t).toContain('nudge none chosen 0 12 cap: 12');
    expect(html).toContain('<th scope="col">Suppressed because</th>');
  });

  test('deliveries per day as stacked bars, one colour per status and reason, with a legend and the numbers', () => {
    const chart = svgs(html)[3];
    expect(chart.match(/<rect [^>]*><title>2026-11-20 · /g)).toHaveLength(2);
    for (const key of ['sent', 'suppressed: consent', 'suppressed: quiet-hours', 'failed: timeout']) expect(text(chart)).toContain(key);
    expect(html).toContain('<summary>The numbers behind the chart</summary>');
    expect(text(html)).toContain('2026-11-21 suppressed quiet-hours 9');
  });

  test('the summary: entered, active, endings, conversions and the median time to convert', () => {
    const t = text(html);
    for (const s of [
      'Entered 400 390 customers',
      'Active 35',
      'Completed 300',
      'Exited 60',
      'Failed 5',
      'Converted 80 20.0%',
      '2 d 3 h',
      'Not entered 7 cooldown 7',
    ]) {
      expect(t).toContain(s);
    }
  });

  test('empty sections say so instead of drawing empty charts', () => {
    const empty = renderJourney(report({ entered: 0, customers: 0, active: 0, funnel: [], splits: [], messages: [], deliveriesByDay: [] }));
    expect(svgs(empty)).toHaveLength(0);
    expect(text(empty)).toContain('No run entered this journey in this window.');
    expect(text(empty)).toContain('This journey has no splits');
    expect(text(empty)).toContain('No delivery decisions in this window.');
    expect(text(empty)).toContain('No deliveries in this window.');
  });

  test('every name and reason from journeys and events is escaped, in HTML, attributes and SVG alike', () => {
    const evil = renderJourney(
      report({
        journey: XSS,
        notEntered: [{ reason: XSS, count: 1 }],
        funnel: [{ step: XSS, reached: 10, now: 1 }],
        messages: [
          { template: XSS, channel: XSS, sent: 1, suppressed: [{ reason: XSS, count: 1 }], deferred: 0, failed: 0, provider: [{ status: XSS, count: 1 }] },
        ],
        splits: [
          {
            split: XSS,
            control: XSS,
            arms: [
              { arm: XSS, customers: 50, conversions: 5, rate: 0.1 },
              { arm: `${XSS}2`, customers: 50, conversions: 25, rate: 0.5 },
            ],
            comparisons: compareArms(
              [
                { arm: XSS, customers: 50, conversions: 5 },
                { arm: `${XSS}2`, customers: 50, conversions: 25 },
              ],
              XSS,
            ),
          },
        ],
        deliveriesByDay: [{ day: '2026-11-20', status: XSS, reason: XSS, count: 3 }],
      }),
    );
    expect(evil).not.toMatch(/<script/i);
    expect(evil).not.toMatch(/<img/i);
    expect(evil).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    // The link to the journey page is percent-encoded in the URL and escaped in the attribute.
    expect(text(evil)).toContain(XSS);
  });
});

describe('renderJourneyList', () => {
  const summaries: JourneySummary[] = [
    { journey: 'welcome', entered: 400, active: 35, converted: 80, lastAt: '2026-12-01T09:59:00.000Z' },
    { journey: XSS, entered: 3, active: 1, converted: 0, lastAt: '2026-12-01T08:00:00.000Z' },
  ];

  test('each journey with entered, active and converted, linking to its page with the window kept', () => {
    const html = renderJourneyList(summaries, { since: '2026-11-20T00:00:00.000Z' });
    expect(html).toContain('<a href="/dashboard/journeys/welcome?since=2026-11-20T00%3A00%3A00.000Z">welcome</a>');
    expect(text(html)).toContain('welcome 400 35 80 20.0%');
    expect(html).toContain('<th scope="col" class="num">Entered</th>');
    expect(html).toContain('value="2026-11-20T00:00:00.000Z"');
  });

  test('a journey name with markup is escaped and its link percent-encoded', () => {
    const html = renderJourneyList(summaries, {});
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain(`href="/dashboard/journeys/${encodeURIComponent(XSS).replace(/'/g, '&#39;')}"`);
    expect(text(html)).toContain(XSS);
  });

  test('no journeys yet: a sentence, not an empty table', () => {
    const html = renderJourneyList([], {});
    expect(html).not.toContain('<table');
    expect(text(html)).toContain('No journey has facts in this window yet.');
  });
});

describe('login and notices', () => {
  test('the sign-in form posts the token to /dashboard/login, with where to go back to escaped', () => {
    const html = renderLogin({ next: '/dashboard?x="><script>' });
    expect(html).toContain('<form class="login" method="post" action="/dashboard/login">');
    expect(html).toContain('<input id="token" name="token" type="password"');
    expect(html).toContain('value="/dashboard?x=&quot;&gt;&lt;script&gt;"');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('was not accepted');
    expect(renderLogin({ next: '/dashboard', refused: true })).toContain('That token was not accepted.');
  });

  test('a notice escapes its text', () => {
    const html = renderNotice('Facts are off', [XSS]);
    expect(html).not.toMatch(/<script/i);
    expect(text(html)).toContain(XSS);
  });
});

test('formatDuration, niceMax and niceCeil', () => {
  expect(formatDuration(90_000)).toBe('1 min 30 s');
  expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 5000)).toBe('3 d 4 h');
  expect(formatDuration(86_400_000)).toBe('1 d');
  expect(formatDuration(250)).toBe('250 ms');
  expect([0, 1, 7, 10, 11, 180, 501].map(niceMax)).toEqual([1, 1, 10, 10, 20, 200, 1000]);
  expect([0.021, 0.1, 0.12, 0.22, 0.284, 0.7].map(niceCeil)).toEqual([0.025, 0.1, 0.15, 0.25, 0.3, 0.8]);
});
