// The preference centre's choices: read with the delivery policy's own consent rule, and turned into the
// fewest updateConsent changes that make the engine do what the customer ticked.
import { field, parseForm } from '../../api/forms';
import { smsKeyword } from '../../api/routes/twilioSms';
import { consentChanges, effectiveChoices, type Choices, type Consent } from '../../preferences/choices';
import { applyConsent, initialState } from '../../domain/customerState';

const none: Consent = { channels: {}, topics: {} };
const all: Choices = { email: true, sms: true, marketingEmail: true, marketingSms: true };

/** The consent after the changes, as the workflow applies them. */
function apply(consent: Consent, wanted: Choices): Consent {
  const state = initialState('c');
  state.consent = structuredClone(consent);
  for (const change of consentChanges(consent, wanted, 'preference-centre')) applyConsent(state, change, new Date('2026-01-05T09:00:00Z'));
  return state.consent;
}

test('effective choices: email opt-out, SMS opt-in, a channel:topic pair beats the topic, a revoked channel has no marketing', () => {
  expect(effectiveChoices(none)).toEqual({ email: true, sms: false, marketingEmail: true, marketingSms: false });
  expect(effectiveChoices({ channels: { sms: true }, topics: {} })).toEqual(all);
  expect(effectiveChoices({ channels: { sms: true }, topics: {}, pairs: { 'email:marketing': false } })).toEqual({ ...all, marketingEmail: false });
  expect(effectiveChoices({ channels: { sms: true }, topics: { marketing: false }, pairs: { 'sms:marketing': true } })).toEqual({
    ...all,
    marketingEmail: false,
  });
  expect(effectiveChoices({ channels: { email: false }, topics: {} })).toEqual({ email: false, sms: false, marketingEmail: false, marketingSms: false });
});

test('saving what is shown writes nothing', () => {
  for (const consent of [
    none,
    { channels: { sms: true }, topics: { marketing: false } },
    { channels: { email: false, sms: true }, topics: {}, pairs: { 'sms:marketing': false } },
  ] as Consent[]) {
    expect(consentChanges(consent, effectiveChoices(consent), 'p')).toEqual([]);
  }
});

test('every combination of boxes ends with the engine doing exactly what was ticked (where the channel is on)', () => {
  const starts: Consent[] = [
    none,
    { channels: { sms: true }, topics: {} },
    { channels: { sms: true }, topics: { marketing: false } },
    { channels: { email: false }, topics: {}, pairs: { 'email:marketing': false } },
    { channels: { sms: false }, topics: {}, pairs: { 'sms:marketing': true } },
  ];
  for (const start of starts) {
    for (let bits = 0; bits < 16; bits++) {
      const wanted: Choices = { email: !!(bits & 1), sms: !!(bits & 2), marketingEmail: !!(bits & 4), marketingSms: !!(bits & 8) };
      const got = effectiveChoices(apply(start, wanted));
      // Marketing on a channel that is off cannot go out: the page then shows it off.
      expect([start, wanted, got]).toEqual([
        start,
        wanted,
        { ...wanted, marketingEmail: wanted.email && wanted.marketingEmail, marketingSms: wanted.sms && wanted.marketingSms },
      ]);
    }
  }
});

test('turning SMS on without marketing texts records the opt-out of marketing by SMS; an untouched box of an off channel writes nothing', () => {
  expect(consentChanges(none, { email: true, sms: true, marketingEmail: true, marketingSms: false }, 'p')).toEqual([
    { channel: 'sms', granted: true, source: 'p' },
    { channel: 'sms', topic: 'marketing', granted: false, source: 'p' },
  ]);
  expect(consentChanges(none, { email: true, sms: false, marketingEmail: false, marketingSms: false }, 'p')).toEqual([
    { channel: 'email', topic: 'marketing', granted: false, source: 'p' },
  ]);
});

test('SMS keywords are the whole text, trimmed, in any case', () => {
  for (const w of ['STOP', 'stop', ' Stop\n', 'STOPALL', 'unsubscribe', 'CANCEL', 'end', 'Quit']) expect([w, smsKeyword(w)]).toEqual([w, 'stop']);
  for (const w of ['START', 'unstop', 'Yes']) expect([w, smsKeyword(w)]).toEqual([w, 'start']);
  for (const w of ['HELP', 'info']) expect([w, smsKeyword(w)]).toEqual([w, 'help']);
  for (const w of ['STOP please', 'stopp', '', 'constructor', '__proto__', 'toString']) expect([w, smsKeyword(w)]).toEqual([w, undefined]);
});

test('form bodies: repeated fields become arrays (the shape Twilio signs), no prototype keys', () => {
  const form = parseForm('a=1&b=x+y&a=2&__proto__=p&List-Unsubscribe=One-Click');
  expect(form.a).toEqual(['1', '2']);
  expect(form.b).toBe('x y');
  expect(field(form, 'a')).toBe('1');
  expect(field(form, 'List-Unsubscribe')).toBe('One-Click');
  expect(Object.getPrototypeOf(form)).toBeNull();
  expect(form.__proto__).toBe('p');
});
