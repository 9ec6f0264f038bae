// Signed tokens in preference-centre and one-click unsubscribe links (`/preferences/<token>`,
// `/unsubscribe/<token>`): they name the customer and expire, so a link in an old mail stops working
// and nobody can forge a link for another customer without PREFERENCES_SECRET.
//
// A token also says what it may do (`scope`) and which of the customer's links it belongs to:
// - `unsubscribe`: the link in List-Unsubscribe and the footer's Unsubscribe. It only revokes marketing email
//   (mail providers and link scanners fetch it, so it must not open the preference centre or grant anything).
// - `preferences`: the footer's "Email preferences" link: the preference centre, which may grant and revoke.
// - `gen`: the customer's link generation when it was signed. "Forget my links" on the preference page bumps
//   the generation in the customer workflow, and the API then refuses preference links of older generations.
// - `inc`: the customer workflow's first run ID (kept across continue-as-new). After an erase, a new event
//   for the same ID starts a new workflow with another first run ID, so links from before the erase do not
//   reach the new customer.
//
// Format: base64url(JSON {v: 2, sub, exp, scope, gen, inc?}) "." base64url(HMAC-SHA256(secret, "omnijourney.preferences." + payload)).
// Tokens of version 1 ({v: 1, sub, exp}: mails sent before scopes) still verify, as `unsubscribe` tokens of
// generation 0 (`legacy: true`): they can still stop marketing email, and nothing else.
// No Temporal or config imports: the API and the worker both use it.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a link works when the caller does not say: 60 days. */
export const PREFERENCE_TOKEN_TTL_SECONDS = 60 * 24 * 60 * 60;

export type PreferenceTokenScope = 'unsubscribe' | 'preferences';
export const PREFERENCE_TOKEN_SCOPES: readonly PreferenceTokenScope[] = ['unsubscribe', 'preferences'];

export interface PreferenceTokenClaims {
  customerId: string;
  /** Expiry, in Unix seconds. */
  exp: number;
  scope: PreferenceTokenScope;
  /** The customer's link generation it was signed with (0 for tokens without one). */
  generation: number;
  /** The customer workflow's first run ID, when the token names one. */
  incarnation?: string;
  /** A version-1 token (no scope, no generation): verified as an unsubscribe token of generation 0. */
  legacy: boolean;
}

export type PreferenceTokenFailure = 'malformed' | 'bad-signature' | 'expired';

export type PreferenceTokenResult = ({ ok: true } & PreferenceTokenClaims) | { ok: false; reason: PreferenceTokenFailure };

/** What the worker signs with: `scope` always, `generation` and `incarnation` from the customer workflow. */
export interface SignClaims {
  customerId: string;
  scope: PreferenceTokenScope;
  generation?: number;
  incarnation?: string;
  exp?: number;
}

const CONTEXT = 'omnijourney.preferences.';
const B64URL = /^[A-Za-z0-9_-]+$/;

function mac(secret: string, payload: string): Buffer {
  if (!secret) throw new Error('preference tokens need a non-empty secret (PREFERENCES_SECRET)');
  return createHmac('sha256', secret)
    .update(CONTEXT + payload)
    .digest();
}

const isGeneration = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isIncarnation = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= 64;

/** A token for `customerId` with this scope, valid until `exp` (Unix seconds; default 60 days after `now`). */
export function signPreferenceToken(secret: string, claims: SignClaims, now: Date = new Date()): string {
  if (!claims.customerId) throw new Error('a preference token needs a customerId');
  if (!PREFERENCE_TOKEN_SCOPES.includes(claims.scope))
    throw new Error(`a preference token needs a scope (${PREFERENCE_TOKEN_SCOPES.join(' or ')}), got ${String(claims.scope)}`);
  const gen = claims.generation ?? 0;
  if (!isGeneration(gen)) throw new Error(`generation must be a whole number from 0, got ${gen}`);
  if (claims.incarnation !== undefined && !isIncarnation(claims.incarnation)) throw new Error('incarnation must be 1 to 64 characters');
  const exp = claims.exp ?? Math.floor(now.getTime() / 1000) + PREFERENCE_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(exp)) throw new Error(`exp must be whole Unix seconds, got ${exp}`);
  const body: Record<string, unknown> = { v: 2, sub: claims.customerId, exp, scope: claims.scope, gen };
  if (claims.incarnation !== undefined) body.inc = claims.incarnation;
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** Checks the signature (in constant time) and the expiry; says why a token is refused. Whether the scope
 *  allows the request, and whether the generation is still the customer's, is for the caller to check. */
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
  const c = claims as { v?: unknown; sub?: unknown; exp?: unknown; scope?: unknown; gen?: unknown; inc?: unknown };
  if (c === null || typeof c !== 'object' || typeof c.sub !== 'string' || !c.sub || typeof c.exp !== 'number' || !Number.isInteger(c.exp)) {
    return { ok: false, reason: 'malformed' };
  }
  let scoped: Pick<PreferenceTokenClaims, 'scope' | 'generation' | 'incarnation' | 'legacy'>;
  if (c.v === 1) {
    // Sent before tokens had a scope: the same token was both the preference and the unsubscribe link, and it
    // is in List-Unsubscribe, so it may only do what an unsubscribe link does.
    scoped = { scope: 'unsubscribe', generation: 0, legacy: true };
  } else if (
    c.v === 2 &&
    PREFERENCE_TOKEN_SCOPES.includes(c.scope as PreferenceTokenScope) &&
    isGeneration(c.gen) &&
    (c.inc === undefined || isIncarnation(c.inc))
  ) {
    scoped = { scope: c.scope as PreferenceTokenScope, generation: c.gen, legacy: false, ...(c.inc !== undefined ? { incarnation: c.inc as string } : {}) };
  } else {
    return { ok: false, reason: 'malformed' };
  }
  if (now.getTime() >= c.exp * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, customerId: c.sub, exp: c.exp, ...scoped };
}
