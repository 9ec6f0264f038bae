// Email bodies in MJML and the mail that goes out: responsive HTML plus a clean text part, signed
// preference and unsubscribe links, and RFC 8058 one-click unsubscribe headers on marketing mail.
import { readdirSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { createEmailActivities, messageIdFor } from '../../activities/email';
import { createTemplateRenderer, documentToText } from '../../activities/templates';
import type { DeliverInput } from '../../domain/delivery';
import { verifyPreferenceToken } from '../../preferences/token';
import { createRenderer, templatesDir } from '../../worker/activities';

const SECRET = 'prefs-secret-for-tests-0123456789';
const PUBLIC_URL = 'https://journeys.acme.test';
const links = { preferences: `${PUBLIC_URL}/preferences/TOKEN`, unsubscribe: `${PUBLIC_URL}/unsubscribe/TOKEN` };
const sampleVars = {
  customer: { id: 'c1' },
  traits: { firstName: 'Grace' },
  data: { plan: 'team', items: [{ sku: 's1', name: 'Red shoe', price: 49, quantity: 1 }], value: 49, activated: false },
  journey: 'x',
  links,
};

const shippedEmailTemplates = readdirSync(templatesDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.email.liquid') && !f.startsWith('_'))
  .map((f) =>
    f
      .replace(/\.email\.liquid$/, '')
      .split('\\')
      .join('/'),
  )
  .sort();

test('the shipped email templates are found (so the loop below tests something)', () => {
  expect(shippedEmailTemplates).toEqual(
    expect.arrayContaining(['abandoned-cart/reminder-1', 'abandoned-cart/reminder-2', 'welcome/check-in', 'welcome/first-project-nudge', 'welcome/hello']),
  );
});

describe.each(shippedEmailTemplates)('shipped template %s', (template) => {
  test('renders with a subject and, if it is MJML, without MJML warnings', async () => {
    const out = await createRenderer().render(template, 'email', sampleVars);
    expect(out.warnings ?? []).toEqual([]);
    expect(out.html).toBeTruthy();
    expect(out.subject).toBeTruthy();
  });

  test('has a readable text part: no CSS, markup, Outlook conditionals or indentation', async () => {
    const { text } = await createRenderer().render(template, 'email', sampleVars);
    expect(text).not.toMatch(/[{}<>]|mso|@media|!important|\[if /);
    expect(text).not.toMatch(/^[ \t]/m);
    expect(text).not.toMatch(/\n{3,}/);
  });
});

// The templates converted to MJML with the shared footer.
test.each(['abandoned-cart/reminder-1', 'abandoned-cart/reminder-2', 'welcome/check-in', 'welcome/first-project-nudge', 'welcome/hello'])(
  '%s carries the preference-centre and unsubscribe links from the shared footer, in HTML and text',
  async (template) => {
    const out = await createRenderer().render(template, 'email', sampleVars);
    expect(out.html).toMatch(/^<!doctype html>/i); // MJML, compiled
    expect(out.html).toContain('@media only screen'); // with MJML's responsive columns
    expect(out.html).toContain(`href="${links.preferences}"`);
    expect(out.html).toContain(`href="${links.unsubscribe}"`);
    expect(out.text).toContain(`Email preferences (${links.preferences})`);
    expect(out.text).toContain(`Unsubscribe (${links.unsubscribe})`);
  },
);

test('welcome/hello keeps its content: the plan in bold, the plain sentence in the text part', async () => {
  const out = await createRenderer().render('welcome/hello', 'email', sampleVars);
  expect(out.html).toContain('<strong>team</strong>');
  expect(out.text).toMatch(/^Welcome, Grace!\n\nYour team plan is ready\. Create your first project to get going\.\n\n/);
});

describe('MJML in any template', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'omnijourney-mjml-'));
    mkdirSync(join(dir, 'shop'));
    mkdirSync(join(dir, '_partials'));
    writeFileSync(join(dir, '_partials/sig.liquid'), '<mj-text>— the {{ team }} team</mj-text>');
    writeFileSync(
      join(dir, 'shop/typo.email.liquid'),
      '---\nsubject: Typo\n---\n<mjml><mj-body><mj-section><mj-column>\n<mj-text colour="red">Hi {{ traits.firstName }}</mj-text>\n{% render \'sig\', team: "Acme" %}\n</mj-column></mj-section></mj-body></mjml>\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('validation problems are reported (with file and line) and the mail still renders', async () => {
    const out = await createTemplateRenderer({ dir }).render('shop/typo', 'email', { traits: { firstName: '<Ada>' } });
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings?.[0]).toContain(join(dir, 'shop/typo.email.liquid'));
    expect(out.warnings?.[0]).toMatch(/line 2 .*<mj-text>: Attribute colour is illegal/);
    expect(out.html).toContain('Hi &lt;Ada&gt;'); // Liquid escaping still applies before MJML
    expect(out.text).toBe('Hi <Ada>\n\n— the Acme team');
  });

  test('documentToText drops the head, styles and conditional comments', () => {
    const html =
      '<!doctype html><html><head><title>T</title><style>p{color:red}</style></head><body><style>.x { color: blue; }</style><!--[if mso]><table><tr><td>X<![endif]--><div>\n   <p>One</p>\n  <p>Two <a href="https://x.test/a">  link  </a></p></div></body></html>';
    expect(documentToText(html)).toBe('One\n\nTwo link (https://x.test/a)');
  });
});

describe('sendEmail', () => {
  const raw: Buffer[] = [];
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const send = transport.sendMail.bind(transport);
  transport.sendMail = (async (mail: SendMailOptions) => {
    const info = await send(mail);
    raw.push(info.message as Buffer);
    return info;
  }) as typeof transport.sendMail;
  const email = createEmailActivities({
    transport,
    from: 'Acme <hello@acme.test>',
    renderer: createRenderer(),
    publicUrl: `${PUBLIC_URL}/`,
    preferencesSecret: SECRET,
  });

  const input = (topic: DeliverInput['topic']): DeliverInput => ({
    idempotencyKey: `journey:welcome:c-7/1.${topic}`,
    customerId: 'c-7',
    journey: 'welcome',
    channel: 'email',
    to: 'grace@example.com',
    template: 'welcome/hello',
    topic,
    vars: { customer: { id: 'c-7' }, traits: { firstName: 'Grace' }, data: { plan: 'team' }, journey: 'welcome' },
    links: { generation: 0, incarnation: 'first-run-of-c-7' },
  });

  async function sent(topic: DeliverInput['topic']): Promise<ParsedMail> {
    raw.length = 0;
    await email.sendEmail(input(topic));
    return simpleParser(raw[0]);
  }

  test('a marketing mail has RFC 8058 one-click unsubscribe headers whose token verifies to the customer', async () => {
    const mail = await sent('marketing');
    // The raw header line must be exactly <url> (mailparser also parses it into headers.get('list')).
    const line = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.replace(/\r?\n\s+/g, ' ');
    const m = /^List-Unsubscribe: <(https:\/\/journeys\.acme\.test\/unsubscribe\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+))>$/.exec(line ?? '');
    expect(m).not.toBeNull();
    expect(mail.headers.get('list')).toMatchObject({ unsubscribe: { url: m![1] } });
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    // An unsubscribe token: providers and link scanners fetch this URL, so it can only revoke.
    expect(verifyPreferenceToken(SECRET, m![2])).toMatchObject({
      ok: true,
      customerId: 'c-7',
      scope: 'unsubscribe',
      generation: 0,
      incarnation: 'first-run-of-c-7',
    });
    // The same link is in the footer of both parts.
    expect(mail.text).toContain(m![1]);
    expect(mail.html).toContain(`href="${m![1]}"`);
    // The preference link has a token of its own, with the preferences scope.
    const pref = new RegExp(`${PUBLIC_URL.replace(/\./g, '\\.')}/preferences/([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)`).exec(mail.text as string);
    expect(pref).not.toBeNull();
    expect(pref![1]).not.toBe(m![2]);
    expect(verifyPreferenceToken(SECRET, pref![1])).toMatchObject({
      ok: true,
      customerId: 'c-7',
      scope: 'preferences',
      generation: 0,
      incarnation: 'first-run-of-c-7',
    });
  });

  test("the links carry the customer's link generation and workflow incarnation from the customer workflow", async () => {
    raw.length = 0;
    await email.sendEmail({ ...input('marketing'), links: { generation: 3, incarnation: 'first-run-id' } });
    const mail = await simpleParser(raw[0]);
    const tokens = [...(mail.text as string).matchAll(/\/(preferences|unsubscribe)\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/g)];
    expect(tokens.map((t) => [t[1], verifyPreferenceToken(SECRET, t[2])])).toEqual([
      ['preferences', expect.objectContaining({ ok: true, scope: 'preferences', generation: 3, incarnation: 'first-run-id' })],
      ['unsubscribe', expect.objectContaining({ ok: true, scope: 'unsubscribe', generation: 3, incarnation: 'first-run-id' })],
    ]);
  });

  test('a transactional mail has the footer links but no List-Unsubscribe headers', async () => {
    const mail = await sent('transactional');
    expect(mail.headers.has('list-unsubscribe')).toBe(false);
    expect(mail.headers.has('list-unsubscribe-post')).toBe(false);
    expect(mail.text).toContain(`${PUBLIC_URL}/unsubscribe/`);
  });

  test('HTML and text parts, the Message-ID from the idempotency key, the preheader inside <body>', async () => {
    const mail = await sent('marketing');
    expect(mail.messageId).toBe(messageIdFor('journey:welcome:c-7/1.marketing'));
    expect(mail.subject).toBe('Welcome to Acme, Grace!');
    expect(mail.html).toMatch(/^<!doctype html>/i);
    const html = mail.html as string;
    const preheader = html.indexOf('Your team plan is ready.</div>');
    expect(preheader).toBeGreaterThan(html.search(/<body\b/));
    expect(mail.text).toMatch(/^Welcome, Grace!\n\nYour team plan is ready\./);
  });
});
