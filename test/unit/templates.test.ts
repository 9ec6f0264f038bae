import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemplateRenderer, htmlToText } from '../../activities/templates';

let dir: string;

function write(path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnijourney-templates-'));
  write(
    'shop/hello.email.liquid',
    [
      '---',
      'subject: Welcome to the shop, {{ traits.firstName | default: "there" }}!',
      'preheader: Your {{ data.plan }} plan is ready.',
      '---',
      '<h1>Hi {{ traits.firstName | default: "there" }}</h1>',
      '<p>Your <strong>{{ data.plan }}</strong> plan is ready.</p>',
      '<p><a href="https://shop.example/start">Get started</a></p>',
    ].join('\n'),
  );
  write('shop/hello.sms.liquid', 'Hi {{ traits.firstName }}, your {{ data.plan }} plan is ready.\n');
  write('shop/plain.email.liquid', '<p>No front matter here.</p>');
  write('shop/crlf.email.liquid', '---\r\nsubject: Windows line endings\r\n---\r\n<p>Body</p>\r\n');
  write('shop/typo.email.liquid', '<p>{{ traits.firstName | shout }}</p>');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vars = { customer: { id: 'cus_1' }, traits: { firstName: 'Ada' }, data: { plan: 'Pro' }, journey: 'shop' };

describe('createTemplateRenderer', () => {
  test('renders subject, preheader, html and a plain-text alternative for email', async () => {
    const out = await createTemplateRenderer({ dir }).render('shop/hello', 'email', vars);
    expect(out.subject).toBe('Welcome to the shop, Ada!');
    expect(out.preheader).toBe('Your Pro plan is ready.');
    expect(out.html).toBe('<h1>Hi Ada</h1>\n<p>Your <strong>Pro</strong> plan is ready.</p>\n<p><a href="https://shop.example/start">Get started</a></p>');
    expect(out.text).toBe('Hi Ada\n\nYour Pro plan is ready.\n\nGet started (https://shop.example/start)');
  });

  test('Liquid defaults apply to missing traits', async () => {
    const out = await createTemplateRenderer({ dir }).render('shop/hello', 'email', { ...vars, traits: {} });
    expect(out.subject).toBe('Welcome to the shop, there!');
  });

  test('SMS gets text only', async () => {
    const out = await createTemplateRenderer({ dir }).render('shop/hello', 'sms', vars);
    expect(out).toEqual({ subject: undefined, text: 'Hi Ada, your Pro plan is ready.' });
  });

  test('a template without front matter has no subject; CRLF front matter is read', async () => {
    const r = createTemplateRenderer({ dir });
    expect(await r.render('shop/plain', 'email', vars)).toMatchObject({
      subject: undefined,
      html: '<p>No front matter here.</p>',
      text: 'No front matter here.',
    });
    expect(await r.render('shop/crlf', 'email', vars)).toMatchObject({ subject: 'Windows line endings', html: '<p>Body</p>' });
  });

  test('a missing template names the file to create', async () => {
    const r = createTemplateRenderer({ dir });
    await expect(r.render('shop/goodbye', 'email', vars)).rejects.toMatchObject({
      message: `template "shop/goodbye" has no email version: create ${join(dir, 'shop/goodbye.email.liquid')}`,
      type: 'TemplateNotFound',
      nonRetryable: true,
    });
    await expect(r.render('shop/plain', 'sms', vars)).rejects.toThrow(`create ${join(dir, 'shop/plain.sms.liquid')}`);
  });

  test.each(['../etc/passwd', 'shop/../../secret', 'Shop/Hello', 'hello', '/shop/hello'])('rejects the template id %p', async (id) => {
    await expect(createTemplateRenderer({ dir }).render(id, 'email', vars)).rejects.toMatchObject({
      message: `template id "${id}" is invalid: use "<journey>/<name>" in lower case`,
      type: 'TemplateNotFound',
    });
  });

  test('an unknown filter fails loudly instead of rendering blank', async () => {
    await expect(createTemplateRenderer({ dir }).render('shop/typo', 'email', vars)).rejects.toThrow(/shout/);
  });
});

describe('htmlToText', () => {
  test('block ends and <br> become line breaks, tags disappear', () => {
    expect(htmlToText('<h1>Title</h1><p>One<br>two<br/>three</p><ul><li>a</li><li>b</li></ul>')).toBe('Title\nOne\ntwo\nthree\na\nb');
  });

  test('links keep their target', () => {
    expect(htmlToText('<p>Read <a class="btn" href="https://x.example/doc?a=1&amp;b=2">the docs</a>.</p>')).toBe(
      'Read the docs (https://x.example/doc?a=1&b=2).',
    );
  });

  test('entities are decoded and blank lines collapse', () => {
    expect(htmlToText('<p>Tom&nbsp;&amp;&nbsp;Jerry &lt;3 &quot;cheese&quot; &#39;n&#39; more</p>\n\n\n\n<p>Bye</p>')).toBe(
      'Tom & Jerry <3 "cheese" \'n\' more\n\nBye',
    );
  });
});
