// Write keys, as Segment uses them: HTTP Basic with the key as username and an empty password (a password is
// refused), or `Authorization: Bearer <key>`. Only SHA-256 hashes of the configured keys are kept, and a
// candidate is compared with every one of them in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, sendError } from './errors';

const sha256 = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export interface WriteKeys {
  /** The id of the matching key (first 12 hex digits of its hash, safe to log), or null. */
  verify(candidate: string): string | null;
  readonly size: number;
}

export function createWriteKeys(keys: readonly string[]): WriteKeys {
  if (keys.length === 0) throw new Error('at least one write key is required');
  const hashes = keys.map(sha256);
  return {
    size: hashes.length,
    verify(candidate) {
      const digest = sha256(candidate);
      let match: Buffer | null = null;
      // No early exit: the time taken does not depend on which key (if any) matched.
      for (const h of hashes) if (timingSafeEqual(h, digest) && match === null) match = h;
      return match ? match.toString('hex').slice(0, 12) : null;
    },
  };
}

/** What an Authorization header holds: a key (Basic `key:` or Bearer `key`), a refusal (Basic with a password:
 *  the key goes in the username and the password is empty), or null when there is no key. */
export type Authorization = { key: string } | { refused: string } | null;

export function readAuthorization(header: string | undefined): Authorization {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return null;
  if (/^bearer$/i.test(scheme)) return { key: value };
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0 && colon < decoded.length - 1) return { refused: 'the HTTP Basic password must be empty' };
    const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
    return user ? { key: user } : null;
  }
  return null;
}

/** The key in an Authorization header (Basic `key:` or Bearer `key`), or null when there is none or it is refused. */
export function parseAuthorization(header: string | undefined): string | null {
  const auth = readAuthorization(header);
  return auth && 'key' in auth ? auth.key : null;
}

const CHALLENGE = { 'www-authenticate': 'Basic realm="omnijourney", charset="UTF-8"' };

/** An onRequest hook: 401 before the body is even read. */
export function requireWriteKey(keys: WriteKeys) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const auth = readAuthorization(request.headers.authorization);
    const path = 'headers.authorization';
    let error: ApiError | null = null;
    if (auth === null) {
      error = new ApiError(
        401,
        'unauthorized',
        'missing write key: send it as the HTTP Basic username with an empty password (curl -u KEY:) or as Authorization: Bearer KEY',
        [{ path, message: 'required' }],
        CHALLENGE,
      );
    } else if ('refused' in auth) {
      error = new ApiError(
        401,
        'unauthorized',
        `${auth.refused}: send the write key as the HTTP Basic username with an empty password (curl -u KEY:) or as Authorization: Bearer KEY`,
        [{ path, message: 'the Basic password must be empty' }],
        CHALLENGE,
      );
    } else {
      const id = keys.verify(auth.key);
      if (id === null) error = new ApiError(401, 'unauthorized', 'invalid write key', [{ path, message: 'unknown write key' }], CHALLENGE);
      else request.writeKeyId = id;
    }
    if (error) {
      request.apiError = error.code;
      await sendError(reply, error);
    }
  };
}
