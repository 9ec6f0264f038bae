// Tokens in preference-centre and unsubscribe links: they name one customer, cannot be forged or edited,
// stop working after their expiry, say what they may do (scope) and which of the customer's links they are
// (generation, workflow incarnation). Version-1 tokens (mails sent before scopes) verify as unsubscribe-only.
import { createHmac } from 'node:crypto';
import { preferenceLinks } from '../../preferences/links';
import { isCurrentLink, linkGuard } from '../../api/links';
import { PREFERENCE_TOKEN_TTL_SECONDS, signPreferenceToken, verifyPreferenceToken, type PreferenceTokenClaims } from '../../preferences/token';
import { initialState, linkStillValid } from '../../domain/customerState';
import type { CustomerProfile } from '../../domain/messages';

const SECRET = 'prefs-secret-for-tests-0123456789';
const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const EXP = NOW.getTime() / 1000 + PREFERENCE_TOKEN_TTL_SECONDS;
const RUN = '0195d6a2-7c1e-7b7a-9f0e-3c2d1b0a9f8e';

/** A payload signed the way signPreferenceToken signs, with any claims. */
function signRaw(claims: unknown, secret = SECRET): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(`omnijourney.preferences.${payload}`).digest('base64url')}`;
}

const claimsOf = (token: string): unknown => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));

test('a token verifies to its customer, scope, generation and incarnation, and is safe in a URL path', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'cus_42/ä é', scope: 'preferences', generation: 3, incarnation: RUN }, NOW);
  expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  expect(claimsOf(token)).toEqual({ v: 2, sub: 'cus_42/ä é', exp: EXP, scope: 'preferences', gen: 3, inc: RUN });
  expect(verifyPreferenceToken(SECRET, token, NOW)).toEqual({
    ok: true,
    customerId: 'cus_42/ä é',
    exp: EXP,
    scope: 'preferences',
    generation: 3,
    incarnation: RUN,
    legacy: false,
  });
});

test('without a generation or incarnation, a token is of generation 0 and names no incarnation', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'c1', scope: 'unsubscribe' }, NOW);
  expect(claimsOf(token)).toEqual({ v: 2, sub: 'c1', exp: EXP, scope: 'unsubscribe', gen: 0 });
  expect(verifyPreferenceToken(SECRET, token, NOW)).toEqual({ ok: true, customerId: 'c1', exp: EXP, scope: 'unsubscribe', generation: 0, legacy: false });
});

test('a version-1 token (mails sent before scopes) verifies as an unsubscribe token of generation 0, flagged legacy', () => {
  const legacy = signRaw({ v: 1, sub: 'c1', exp: EXP });
  expect(verifyPreferenceToken(SECRET, legacy, NOW)).toEqual({ ok: true, customerId: 'c1', exp: EXP, scope: 'unsubscribe', generation: 0, legacy: true });
  // Its scope cannot be raised: a v1 payload claiming more is still an unsubscribe token.
  expect(verifyPreferenceToken(SECRET, signRaw({ v: 1, sub: 'c1', exp: EXP, scope: 'preferences', gen: 5 }), NOW)).toMatchObject({
    ok: true,
    scope: 'unsubscribe',
    generation: 0,
    legacy: true,
  });
  // …and it still expires.
  expect(verifyPreferenceToken(SECRET, legacy, new Date(EXP * 1000))).toEqual({ ok: false, reason: 'expired' });
});

test('by default it expires after 60 days', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'c1', scope: 'preferences' }, NOW);
  expect(verifyPreferenceToken(SECRET, token, new Date(NOW.getTime() + 60 * DAY - 1000))).toMatchObject({ ok: true });
  expect(verifyPreferenceToken(SECRET, token, new Date(NOW.getTime() + 60 * DAY))).toEqual({ ok: false, reason: 'expired' });
});

test('an explicit expiry is honoured', () => {
  const exp = NOW.getTime() / 1000 + 3600;
  const token = signPreferenceToken(SECRET, { customerId: 'c1', scope: 'preferences', exp });
  expect(verifyPreferenceToken(SECRET, token, new Date(NOW.getTime() + 3599_000))).toMatchObject({ ok: true, exp });
  expect(verifyPreferenceToken(SECRET, token, new Date(NOW.getTime() + 3600_000))).toEqual({ ok: false, reason: 'expired' });
});

test('another secret does not verify it', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'c1', scope: 'preferences' }, NOW);
  expect(verifyPreferenceToken('another-secret-0123456789abcdef', token, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
});

test('editing the payload (another customer, a later expiry, a wider scope, a newer generation, another incarnation) breaks the signature', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'c1', scope: 'unsubscribe', generation: 1, incarnation: RUN }, NOW);
  const [, sig] = token.split('.');
  const base = { v: 2, sub: 'c1', exp: EXP, scope: 'unsubscribe', gen: 1, inc: RUN };
  for (const claims of [
    { ...base, sub: 'c2' },
    { ...base, exp: EXP * 10 },
    { ...base, scope: 'preferences' },
    { ...base, gen: 2 },
    { ...base, inc: 'another-run' },
    { v: 1, sub: 'c1', exp: EXP }, // downgraded to version 1
  ]) {
    const forged = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
    expect(verifyPreferenceToken(SECRET, forged, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  }
  // A changed signature, same length.
  const flipped = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
  expect(verifyPreferenceToken(SECRET, flipped, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
});

test.each(['', 'abc', 'a.b.c', 'a..b', 'not base64!.abc', '.abc', 'abc.'])('%p is malformed', (token) => {
  expect(verifyPreferenceToken(SECRET, token, NOW)).toEqual({ ok: false, reason: 'malformed' });
});

test('an overlong token is malformed (not hashed)', () => {
  expect(verifyPreferenceToken(SECRET, `${'x'.repeat(5000)}.abc`, NOW)).toEqual({ ok: false, reason: 'malformed' });
});

test.each([
  ['an unknown version', { v: 3, sub: 'c1', exp: 9e9, scope: 'preferences', gen: 0 }],
  ['version 2 without a scope', { v: 2, sub: 'c1', exp: 9e9, gen: 0 }],
  ['an unknown scope', { v: 2, sub: 'c1', exp: 9e9, scope: 'admin', gen: 0 }],
  ['a scope that is not a string', { v: 2, sub: 'c1', exp: 9e9, scope: ['preferences'], gen: 0 }],
  ['no generation', { v: 2, sub: 'c1', exp: 9e9, scope: 'preferences' }],
  ['a negative generation', { v: 2, sub: 'c1', exp: 9e9, scope: 'preferences', gen: -1 }],
  ['a fractional generation', { v: 2, sub: 'c1', exp: 9e9, scope: 'preferences', gen: 0.5 }],
  ['a generation as a string', { v: 2, sub: 'c1', exp: 9e9, scope: 'preferences', gen: '0' }],
  ['an empty incarnation', { v: 2, sub: 'c1', exp: 9e9, scope: 'preferences', gen: 0, inc: '' }],
  ['an incarnation that is not a string', { v: 2, sub: 'c1', exp: 9e9, scope: 'preferences', gen: 0, inc: 7 }],
  ['no customer', { v: 2, exp: 9e9, scope: 'preferences', gen: 0 }],
])('a correctly signed payload that is not ours (%s) is malformed, not accepted', (_name, claims) => {
  expect(verifyPreferenceToken(SECRET, signRaw(claims), NOW)).toEqual({ ok: false, reason: 'malformed' });
});

test('signing refuses an empty secret or customer, a missing or unknown scope, a bad generation or incarnation', () => {
  expect(() => signPreferenceToken('', { customerId: 'c1', scope: 'preferences' })).toThrow(/secret/);
  expect(() => signPreferenceToken(SECRET, { customerId: '', scope: 'preferences' })).toThrow(/customerId/);
  expect(() => signPreferenceToken(SECRET, { customerId: 'c1' } as never)).toThrow(/scope/);
  expect(() => signPreferenceToken(SECRET, { customerId: 'c1', scope: 'admin' } as never)).toThrow(/scope/);
  expect(() => signPreferenceToken(SECRET, { customerId: 'c1', scope: 'preferences', generation: -1 })).toThrow(/generation/);
  expect(() => signPreferenceToken(SECRET, { customerId: 'c1', scope: 'preferences', generation: 1.5 })).toThrow(/generation/);
  expect(() => signPreferenceToken(SECRET, { customerId: 'c1', scope: 'preferences', incarnation: '' })).toThrow(/incarnation/);
});

describe('the links in a mail', () => {
  test("the preference link has the preferences scope, the unsubscribe link (also List-Unsubscribe) the unsubscribe scope; both the customer's links", () => {
    const links = preferenceLinks('https://journeys.acme.test/', SECRET, 'c-7', NOW, { generation: 2, incarnation: RUN });
    const pref = /^https:\/\/journeys\.acme\.test\/preferences\/([^/]+)$/.exec(links.preferences);
    const unsub = /^https:\/\/journeys\.acme\.test\/unsubscribe\/([^/]+)$/.exec(links.unsubscribe);
    expect(verifyPreferenceToken(SECRET, pref![1], NOW)).toMatchObject({ ok: true, customerId: 'c-7', scope: 'preferences', generation: 2, incarnation: RUN });
    expect(verifyPreferenceToken(SECRET, unsub![1], NOW)).toMatchObject({ ok: true, customerId: 'c-7', scope: 'unsubscribe', generation: 2, incarnation: RUN });
    expect(pref![1]).not.toBe(unsub![1]);
  });

  test("a send without the customer's links (scheduled before link generations) gets unsubscribe links only, like mails before scopes", () => {
    const links = preferenceLinks('https://journeys.acme.test', SECRET, 'c-7', NOW);
    for (const url of [links.preferences, links.unsubscribe]) {
      expect(claimsOf(url.split('/').at(-1) as string)).toEqual({ v: 2, sub: 'c-7', exp: EXP, scope: 'unsubscribe', gen: 0 });
    }
  });
});

describe("whether a link is still the customer's", () => {
  const claims = (generation: number, incarnation?: string): PreferenceTokenClaims => ({
    customerId: 'c1',
    exp: EXP,
    scope: 'preferences',
    generation,
    legacy: false,
    ...(incarnation ? { incarnation } : {}),
  });
  const profile = (links?: CustomerProfile['links']): CustomerProfile => ({ ...initialState('c1'), ...(links ? { links } : {}) });

  test('the current generation of the same workflow: yes; an older or newer generation, or another workflow (erased and created again): no', () => {
    const now = profile({ generation: 1, incarnation: RUN });
    expect(isCurrentLink(now, claims(1, RUN))).toBe(true);
    expect(isCurrentLink(now, claims(0, RUN))).toBe(false);
    expect(isCurrentLink(now, claims(2, RUN))).toBe(false);
    expect(isCurrentLink(now, claims(1, 'the-run-before-an-erase'))).toBe(false);
    // A token that names no incarnation (a send scheduled before link generations): the generation decides.
    expect(isCurrentLink(now, claims(1))).toBe(true);
    expect(isCurrentLink(now, claims(0))).toBe(false);
  });

  test('a worker older than link generations answers without links: only generation 0 is current', () => {
    expect(isCurrentLink(profile(), claims(0, RUN))).toBe(true);
    expect(isCurrentLink(profile(), claims(1, RUN))).toBe(false);
  });

  test('what the customer workflow checks again: the incarnation always, the generation only for preference changes', () => {
    expect(linkGuard(claims(3, RUN), true)).toEqual({ generation: 3, incarnation: RUN });
    expect(linkGuard(claims(3, RUN), false)).toEqual({ incarnation: RUN });
    expect(linkGuard(claims(3), false)).toEqual({});
    const current = { generation: 4, incarnation: RUN };
    expect(linkStillValid(current, {})).toBe(true);
    expect(linkStillValid(current, { incarnation: RUN })).toBe(true);
    expect(linkStillValid(current, { incarnation: RUN, generation: 4 })).toBe(true);
    expect(linkStillValid(current, { incarnation: RUN, generation: 3 })).toBe(false);
    expect(linkStillValid(current, { incarnation: 'other', generation: 4 })).toBe(false);
    expect(linkStillValid(current, { generation: 0 })).toBe(false);
  });
});
