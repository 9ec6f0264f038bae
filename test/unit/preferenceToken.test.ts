// Tokens in preference-centre and unsubscribe links: they name one customer, cannot be forged or edited,
// and stop working after their expiry.
import { createHmac } from 'node:crypto';
import { PREFERENCE_TOKEN_TTL_SECONDS, signPreferenceToken, verifyPreferenceToken } from '../../preferences/token';

const SECRET = 'prefs-secret-for-tests-0123456789';
const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;

test('a token verifies to its customer, and is safe in a URL path', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'cus_42/ä é' }, NOW);
  expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  expect(verifyPreferenceToken(SECRET, token, NOW)).toEqual({ ok: true, customerId: 'cus_42/ä é', exp: NOW.getTime() / 1000 + PREFERENCE_TOKEN_TTL_SECONDS });
});

test('by default it expires after 60 days', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'c1' }, NOW);
  expect(verifyPreferenceToken(SECRET, token, new Date(NOW.getTime() + 60 * DAY - 1000))).toMatchObject({ ok: true });
  expect(verifyPreferenceToken(SECRET, token, new Date(NOW.getTime() + 60 * DAY))).toEqual({ ok: false, reason: 'expired' });
});

test('an explicit expiry is honoured', () => {
  const exp = NOW.getTime() / 1000 + 3600;
  const token = signPreferenceToken(SECRET, { customerId: 'c1', exp });
  expect(verifyPreferenceToken(SECRET, token, new Date(NOW.getTime() + 3599_000))).toMatchObject({ ok: true, exp });
  expect(verifyPreferenceToken(SECRET, token, new Date(NOW.getTime() + 3600_000))).toEqual({ ok: false, reason: 'expired' });
});

test('another secret does not verify it', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'c1' }, NOW);
  expect(verifyPreferenceToken('another-secret-0123456789abcdef', token, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
});

test('editing the payload (another customer, a later expiry) breaks the signature', () => {
  const token = signPreferenceToken(SECRET, { customerId: 'c1' }, NOW);
  const [, sig] = token.split('.');
  for (const claims of [
    { v: 1, sub: 'c2', exp: NOW.getTime() / 1000 + PREFERENCE_TOKEN_TTL_SECONDS },
    { v: 1, sub: 'c1', exp: NOW.getTime() / 1000 + 10 * PREFERENCE_TOKEN_TTL_SECONDS },
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

test('a correctly signed payload that is not ours (wrong shape) is malformed, not accepted', () => {
  // Built by hand the way signPreferenceToken signs, with a payload it would never write.
  const payload = Buffer.from(JSON.stringify({ v: 2, sub: 'c1', exp: 9e9 })).toString('base64url');
  const sig = createHmac('sha256', SECRET).update(`omnijourney.preferences.${payload}`).digest('base64url');
  expect(verifyPreferenceToken(SECRET, `${payload}.${sig}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
});

test('signing refuses an empty secret or customer', () => {
  expect(() => signPreferenceToken('', { customerId: 'c1' })).toThrow(/secret/);
  expect(() => signPreferenceToken(SECRET, { customerId: '' })).toThrow(/customerId/);
});
