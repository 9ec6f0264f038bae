// Write keys, as Segment uses them: HTTP Basic with the key as username and an empty password, or
// `Authorization: Bearer <key>`. Only SHA-256 hashes of the configured keys are kept, and a candidate is
// compared with every one of them in constant time.
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

/** The key in an Authorization header (Basic `key:` or Bearer `key`), or null when there is none. */
export function parseAuthorization(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return null;
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    return user || null;
  }
  return null;
}

const CHALLENGE = { 'www-authenticate': 'Basic realm="omnijourney", charset="UTF-8"' };

/** An onRequest hook: 401 before the body is even read. */
export function requireWriteKey(keys: WriteKeys) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const key = parseAuthorization(request.headers.authorization);
    const path = 'headers.authorization';
    let error: ApiError | null = null;
    if (key === null) {
      error = new ApiError(401, 'unauthorized', 'missing write key: send it as the HTTP Basic username with an empty password (curl -u KEY:) or as Authorization: Bearer KEY', [
        { path, message: 'required' },
      ], CHALLENGE);
    } else {
      const id = keys.verify(key);
      if (id === null) error = new ApiError(401, 'unauthorized', 'invalid write key', [{ path, message: 'unknown write key' }], CHALLENGE);
      else request.writeKeyId = id;
    }
    if (error) {
      request.apiError = error.code;
      await sendError(reply, error);
    }
  };
}
