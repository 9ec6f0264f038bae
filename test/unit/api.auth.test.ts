// Write keys: hashed at rest, compared in constant time, read from Basic (Segment) or Bearer headers.
import * as crypto from 'node:crypto';
import { createWriteKeys, parseAuthorization, readAuthorization } from '../../api/auth';

const basic = (user: string, pass = '') => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('createWriteKeys', () => {
  const keys = createWriteKeys(['key-one-0123456789abcdef', 'key-two-0123456789abcdef']);

  test('a configured key verifies to a stable id: a hash prefix, not the key', () => {
    const id = keys.verify('key-two-0123456789abcdef');
    expect(id).toBe(crypto.createHash('sha256').update('key-two-0123456789abcdef').digest('hex').slice(0, 12));
    expect(keys.verify('key-two-0123456789abcdef')).toBe(id);
    expect(keys.verify('key-one-0123456789abcdef')).not.toBe(id);
  });

  test('unknown keys, prefixes, longer strings and the empty string do not verify', () => {
    for (const k of ['key-three-0123456789abcdef', 'key-one', 'key-one-0123456789abcdefX', '', 'KEY-ONE-0123456789ABCDEF']) expect(keys.verify(k)).toBeNull();
  });

  test('every candidate is compared with every stored hash through timingSafeEqual (no early exit)', () => {
    // The module object itself (an `import * as` namespace is a copy under the test transform).
    const spy = jest.spyOn(require('node:crypto') as typeof crypto, 'timingSafeEqual');
    try {
      keys.verify('key-one-0123456789abcdef');
      expect(spy).toHaveBeenCalledTimes(2);
      spy.mockClear();
      keys.verify('nope');
      expect(spy).toHaveBeenCalledTimes(2);
      // Always 32-byte digests, whatever the candidate's length.
      for (const [a, b] of spy.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    } finally {
      spy.mockRestore();
    }
  });

  test('an empty key list is refused', () => {
    expect(() => createWriteKeys([])).toThrow(/at least one/);
  });
});

describe('parseAuthorization', () => {
  test('Segment style: HTTP Basic with the key as username and an empty password', () => {
    expect(parseAuthorization(basic('wk_123'))).toBe('wk_123');
    expect(parseAuthorization(`Basic ${Buffer.from('wk_123').toString('base64')}`)).toBe('wk_123');
    expect(parseAuthorization(basic('wk_123').replace('Basic', 'basic'))).toBe('wk_123');
  });

  test('Bearer', () => {
    expect(parseAuthorization('Bearer wk_123')).toBe('wk_123');
    expect(parseAuthorization('bearer   wk_123')).toBe('wk_123');
  });

  test('nothing usable → null', () => {
    for (const h of [undefined, '', 'Bearer', 'Basic', basic(''), 'Digest abc', 'wk_123']) expect(parseAuthorization(h)).toBeNull();
  });

  test('Basic with a password is refused, not read as the username alone (the README says the password is empty)', () => {
    for (const h of [basic('wk_123', 'secret'), basic('wk_123', ':'), basic('', 'wk_123')]) {
      expect(readAuthorization(h)).toEqual({ refused: 'the HTTP Basic password must be empty' });
      expect(parseAuthorization(h)).toBeNull();
    }
    expect(readAuthorization(basic('wk_123'))).toEqual({ key: 'wk_123' });
  });
});
