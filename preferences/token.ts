// Signed tokens in preference-centre and one-click unsubscribe links (`/preferences/<token>`,
// `/unsubscribe/<token>`): they name the customer and expire, so a link in an old mail stops working
// and nobody can forge a link for another customer without PREFERENCES_SECRET.
//
// Format: base64url(JSON {v, sub, exp}) "." base64url(HMAC-SHA256(secret, "omnijourney.preferences." + payload)).
// No Temporal or config imports: the API and the worker both use it.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a link works when the caller does not say: 60 days. */
export const PREFERENCE_TOKEN_TTL_SECONDS = 60 * 24 * 60 * 60;

export interface PreferenceTokenClaims {
  customerId: string;
  /** Expiry, in Unix seconds. */
  exp: number;
}

export type PreferenceTokenFailure = 'malformed' | 'bad-signature' | 'expired';

export type PreferenceTokenResult = ({ ok: true } & PreferenceTokenClaims) | { ok: false; reason: PreferenceTokenFailure };

const CONTEXT = 'omnijourney.preferences.';
const B64URL = /^[A-Za-z0-9_-]+$/;

function mac(secret: string, payload: string): Buffer {
  if (!secret) throw new Error('preference tokens need a non-empty secret (PREFERENCES_SECRET)');
  return createHmac('sha256', secret).update(CONTEXT + payload).digest();
}

/** A token for `customerId`, valid until `exp` (Unix seconds; default 60 days after `now`). */
export function signPreferenceToken(secret: string, claims: { customerId: string; exp?: number }, now: Date = new Date()): string {
  if (!claims.customerId) throw new Error('a preference token needs a customerId');
  const exp = claims.exp ?? Math.floor(now.getTime() / 1000) + PREFERENCE_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(exp)) throw new Error(`exp must be whole Unix seconds, got ${exp}`);
  const payload = Buffer.from(JSON.stringify({ v: 1, sub: claims.customerId, exp })).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** Checks the signature (in constant time) and the expiry; says why a token is refused. */
export function verifyPreferenceToken(secret: string, token: string, now: Date = new Date()): PreferenceTokenResult {
  if (typeof token !== 'string' || token.length > 2048) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2 || !B64URL.test(parts[0]) || !B64URL.test(parts[1])) return { ok: false, reason: 'malformed' };
  const [payload, signature] = parts;
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  // Length and canonical encoding first (one token per signature), then the constant-time comparison.
  if (given.length !== expected.length || given.toString('base64url') !== signature || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const c = claims as { v?: unknown; sub?: unknown; exp?: unknown };
  if (c === null || typeof c !== 'object' || c.v !== 1 || typeof c.sub !== 'string' || !c.sub || typeof c.exp !== 'number' || !Number.isInteger(c.exp)) {
    return { ok: false, reason: 'malformed' };
  }
  if (now.getTime() >= c.exp * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, customerId: c.sub, exp: c.exp };
}
