// Bugs found by review of the pure modules; each test failed before its fix.
import { toMs } from '../../sdk/duration';
import { htmlToText, createTemplateRenderer } from '../../activities/templates';
import { initialState, recordEvent } from '../../domain/customerState';
import { decide, DEFAULT_POLICY } from '../../domain/deliveryPolicy';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('toMs("500ms") is 500 ms', () => {
  expect(toMs('500ms')).toBe(500);
  expect(toMs('1 ms')).toBe(1);
});
test('htmlToText does not double-decode &amp;lt;', () => {
  expect(htmlToText('<p>Type &amp;lt;b&amp;gt; for bold</p>')).toBe('Type &lt;b&gt; for bold');
});
const ev = (traits: Record<string, unknown>, id: string) => ({
  messageId: id,
  type: 'identify' as const,
  customerId: 'c',
  name: 'identify',
  properties: {},
  traits,
  context: {},
});
test('identify {email:null} clears the address, so email stops', () => {
  const s = initialState('c');
  recordEvent(s, ev({ email: 'a@example.com' }, '1'), new Date());
  recordEvent(s, ev({ email: null }, '2'), new Date());
  expect(s.traits.email).toBeUndefined();
  expect(s.identities.email).toBeUndefined();
});
test('an invalid timezone trait is ignored and the policy still decides', () => {
  const s = initialState('c');
  recordEvent(s, ev({ email: 'a@example.com', timezone: 'Mars/Olympus' }, '1'), new Date());
  expect(() =>
    decide(
      s,
      { id: 'x', journeyWorkflowId: 'j', journey: 'w', channels: ['email'], template: 'w/h', data: {}, topic: 'marketing', urgent: false, requestedAt: '' },
      new Date('2026-06-10T12:00:00Z'),
      DEFAULT_POLICY,
    ),
  ).not.toThrow();
});
test('a trait with markup is escaped in email html (no injected links)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
  mkdirSync(join(dir, 'shop'));
  writeFileSync(join(dir, 'shop/x.email.liquid'), '<p>Hi {{ traits.firstName }}</p>');
  const out = await createTemplateRenderer({ dir }).render('shop/x', 'email', { traits: { firstName: '<a href="https://evil.example">Ada</a>' } });
  expect(out.html).toBe('<p>Hi &lt;a href=&#34;https://evil.example&#34;&gt;Ada&lt;/a&gt;</p>');
});
