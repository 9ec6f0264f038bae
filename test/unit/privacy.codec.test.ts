// The AES-256-GCM payload codec and its configuration: round trip through the SDK's own data converter,
// tampering caught, key rotation, a clear error for a key that is not configured, and no key material in
// any error message.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { loadConfig } from '../../config/config';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA, parsePayloadKeys, PayloadDecryptionError, PayloadEncryptionCodec, type PayloadKey } from '../../privacy/codec';
import { resolvePayloadKeys } from '../../config/payloadKeys';

const key = (id: string): PayloadKey => ({ id, key: randomBytes(32) });
const k1 = key('k1');
const k2 = key('k2');
const utf8 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

const profile = { email: 'ada.lovelace@example.org', phone: '+14155550123', firstName: 'Ada' };
const plain = (): Payload => defaultPayloadConverter.toPayload(profile);

test('round trip: the stored payload is ciphertext tagged with the key id, and decodes to the original payload', async () => {
  const codec = new PayloadEncryptionCodec([k1]);
  const [encoded] = await codec.encode([plain()]);
  expect(utf8(encoded.metadata?.[METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
  expect(utf8(encoded.metadata?.[KEY_ID_METADATA])).toBe('k1');
  expect(Object.keys(encoded.metadata ?? {}).sort()).toEqual([KEY_ID_METADATA, METADATA_ENCODING_KEY].sort());
  const stored = Buffer.from(encoded.data ?? []);
  expect(stored.includes('ada.lovelace')).toBe(false);
  expect(stored.includes('4155550123')).toBe(false);
  expect(stored.includes('json/plain')).toBe(false); // the original metadata is inside the ciphertext too

  const [decoded] = await codec.decode([encoded]);
  expect(utf8(decoded.metadata?.[METADATA_ENCODING_KEY])).toBe('json/plain');
  expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(profile);
});

test('each encryption uses a fresh IV: the same value never gives the same ciphertext', async () => {
  const codec = new PayloadEncryptionCodec([k1]);
  const [a, b] = await codec.encode([plain(), plain()]);
  expect(Buffer.from(a.data ?? []).equals(Buffer.from(b.data ?? []))).toBe(false);
});

test('payloads that are not encrypted (written before encryption was on, or by simulate) pass through', async () => {
  const codec = new PayloadEncryptionCodec([k1]);
  const p = plain();
  expect(await codec.decode([p])).toEqual([p]);
});

test('tampered ciphertext, IV, tag or key id is rejected, naming the key id', async () => {
  const codec = new PayloadEncryptionCodec([k1, k2]);
  const [encoded] = await codec.encode([plain()]);
  const data = Buffer.from(encoded.data ?? []);
  for (const offset of [0, 11, 12, 20, data.length - 1]) {
    const flipped = Buffer.from(data);
    flipped[offset] ^= 0x01;
    await expect(codec.decode([{ ...encoded, data: flipped }])).rejects.toThrow(/key id "k1" failed authentication/);
  }
  // The key id is authenticated data: relabelling the payload as k2 does not get it decrypted with k2.
  await expect(codec.decode([{ ...encoded, metadata: { ...encoded.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } }])).rejects.toThrow(
    /key id "k2" failed authentication/,
  );
  await expect(codec.decode([{ ...encoded, data: data.subarray(0, 20) }])).rejects.toThrow(/truncated/);
  // The right key under the same id, but a different key value: also an authentication failure.
  await expect(new PayloadEncryptionCodec([key('k1')]).decode([encoded])).rejects.toThrow(PayloadDecryptionError);
});

test('rotation: a new key first in the list encrypts; the old key still decrypts what it wrote', async () => {
  const before = new PayloadEncryptionCodec([k1]);
  const [old] = await before.encode([plain()]);

  const after = new PayloadEncryptionCodec([k2, k1]);
  expect(after.keyId).toBe('k2');
  const [fresh] = await after.encode([plain()]);
  expect(utf8(fresh.metadata?.[KEY_ID_METADATA])).toBe('k2');
  const decoded = await after.decode([old, fresh]);
  expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([profile, profile]);

  // Once k1 is dropped, its payloads can no longer be read: the error names the missing key id.
  const dropped = new PayloadEncryptionCodec([k2]);
  await expect(dropped.decode([old])).rejects.toThrow(
    'payload was encrypted with key id "k1", which is not configured (known: "k2"). Add that key to PAYLOAD_KEYS to read it.',
  );
  await expect(dropped.decode([old])).rejects.toMatchObject({ keyId: 'k1' });
});

test('an encrypted payload without a key id is an error', async () => {
  const codec = new PayloadEncryptionCodec([k1]);
  const [encoded] = await codec.encode([plain()]);
  await expect(codec.decode([{ ...encoded, metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING) } }])).rejects.toThrow(
    /no "encryption-key-id"/,
  );
});

describe('PAYLOAD_KEYS', () => {
  const b64 = randomBytes(32).toString('base64');
  const b64b = randomBytes(32).toString('base64');

  test('parses <keyId>:<base64 of 32 bytes>, comma-separated, first one first', () => {
    const keys = parsePayloadKeys(` new-2026:${b64} , old.2025_a:${b64b},`);
    expect(keys.map((k) => k.id)).toEqual(['new-2026', 'old.2025_a']);
    expect(keys[0].key.equals(Buffer.from(b64, 'base64'))).toBe(true);
    expect(parsePayloadKeys(`u:${Buffer.from(b64, 'base64').toString('base64url')}`)[0].key.equals(keys[0].key)).toBe(true);
  });

  test.each([
    ['nothing', '', /at least one key/],
    ['no key id', b64, /expected <keyId>:<base64 key>/],
    ['an empty key id', `:${b64}`, /expected <keyId>:<base64 key>/],
    ['a key id with a space', `bad id:${b64}`, /key id of letters/],
    ['a 16-byte key', `k:${randomBytes(16).toString('base64')}`, /key "k": expected base64 of exactly 32 random bytes/],
    ['trailing junk', `k:${b64}!!`, /key "k": expected base64/],
    ['a key id twice', `k:${b64},k:${b64b}`, /key "k" is listed twice/],
  ])('%s is refused', (_what, text, message) => {
    expect(() => parsePayloadKeys(text)).toThrow(message);
    expect(() => parsePayloadKeys(text)).not.toThrow(b64);
  });

  test('loadConfig: on by default, keys parsed, errors name the variable but never show the key', () => {
    const c = loadConfig({});
    expect(c.privacy).toEqual({
      encryption: true,
      payloadKeys: undefined,
      codec: { authTokens: [], corsOrigins: ['http://localhost:8233', 'http://127.0.0.1:8233'] },
    });
    expect(loadConfig({ PAYLOAD_ENCRYPTION: 'off' }).privacy.encryption).toBe(false);
    expect(loadConfig({ PAYLOAD_KEYS: `k1:${b64}` }).privacy.payloadKeys?.map((k) => k.id)).toEqual(['k1']);
    const short = randomBytes(16).toString('base64');
    expect(() => loadConfig({ PAYLOAD_KEYS: `k1:${short}` })).toThrow(/PAYLOAD_KEYS: key "k1": expected base64 of exactly 32 random bytes.*\(value hidden\)/);
    expect(() => loadConfig({ PAYLOAD_KEYS: `k1:${short}` })).not.toThrow(short);
    expect(() => loadConfig({ PAYLOAD_ENCRYPTION: 'maybe' })).toThrow(/PAYLOAD_ENCRYPTION/);
    expect(loadConfig({ TEMPORAL_UI_PORT: '9000', CODEC_AUTH_TOKEN: 'codec-token-0123456789' }).privacy.codec).toEqual({
      authTokens: ['codec-token-0123456789'],
      corsOrigins: ['http://localhost:9000', 'http://127.0.0.1:9000'],
    });
    expect(() => loadConfig({ CODEC_AUTH_TOKEN: 'short' })).toThrow(/CODEC_AUTH_TOKEN.*\(value hidden\)/);
    expect(loadConfig({ CODEC_CORS_ORIGINS: 'https://temporal.acme.com, http://localhost:8233' }).privacy.codec.corsOrigins).toEqual([
      'https://temporal.acme.com',
      'http://localhost:8233',
    ]);
    expect(() => loadConfig({ CODEC_CORS_ORIGINS: 'https://temporal.acme.com/ui' })).toThrow(/CODEC_CORS_ORIGINS/);
  });

  test('a real cluster (TEMPORAL_ADDRESS) needs PAYLOAD_KEYS, not a key file on one machine; off needs nothing', () => {
    expect(() => resolvePayloadKeys(loadConfig({ TEMPORAL_ADDRESS: 'temporal.acme.com:7233' }))).toThrow(/PAYLOAD_KEYS: required when TEMPORAL_ADDRESS is set/);
    expect(resolvePayloadKeys(loadConfig({ TEMPORAL_ADDRESS: 'temporal.acme.com:7233', PAYLOAD_ENCRYPTION: 'off' }))).toBeNull();
    expect(resolvePayloadKeys(loadConfig({ TEMPORAL_ADDRESS: 'temporal.acme.com:7233', PAYLOAD_KEYS: `k1:${b64}` }))?.from).toBe('PAYLOAD_KEYS');
  });
});

describe('the development key file (PAYLOAD_KEYS unset)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'omnijourney-key-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('is created once (owner-only), in PAYLOAD_KEYS format, and reused', () => {
    const config = loadConfig({ OMNIJOURNEY_DATA_DIR: join(dir, 'data') });
    const first = resolvePayloadKeys(config);
    expect(first).toMatchObject({ from: join(dir, 'data', 'payload-key'), created: true });
    expect(first?.keys[0].id).toMatch(/^dev-[0-9a-f]{6}$/);
    expect(statSync(first!.from).mode & 0o077).toBe(0);
    expect(parsePayloadKeys(readFileSync(first!.from, 'utf8'))[0].key.equals(first!.keys[0].key)).toBe(true);
    const again = resolvePayloadKeys(config);
    expect(again?.created).toBe(false);
    expect(again?.keys[0].key.equals(first!.keys[0].key)).toBe(true);
  });

  test('a damaged key file is an error naming the file, not a silent new key', () => {
    const config = loadConfig({ OMNIJOURNEY_DATA_DIR: dir });
    writeFileSync(join(dir, 'payload-key'), 'dev-1:not-a-key\n');
    expect(() => resolvePayloadKeys(config)).toThrow(`the development payload key file ${join(dir, 'payload-key')} is invalid`);
  });
});
