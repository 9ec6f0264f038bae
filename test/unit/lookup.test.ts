import { createHash, createHmac } from 'node:crypto';
import { hmacSha256Hex, phoneLookupKey, sha256 } from '../../domain/lookup';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the workflow-safe SHA-256 matches node:crypto on lengths around block boundaries', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
    const data = Buffer.alloc(n, 0).map((_, i) => (i * 31 + 7) & 0xff);
    expect(hex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
  }
});

test('HMAC-SHA256 matches node:crypto, also for keys longer than a block', () => {
  for (const key of ['k', 'x'.repeat(64), 'y'.repeat(100)]) {
    expect(hmacSha256Hex(key, '+14155550123')).toBe(createHmac('sha256', key).update('+14155550123').digest('hex'));
  }
});

test('the phone lookup key ignores formatting and depends on the secret', () => {
  expect(phoneLookupKey('s', '+1 415-555-0123')).toBe(phoneLookupKey('s', '+14155550123'));
  expect(phoneLookupKey('s', '+14155550123')).not.toBe(phoneLookupKey('t', '+14155550123'));
  expect(phoneLookupKey('s', '+14155550123')).not.toContain('4155550123');
});
