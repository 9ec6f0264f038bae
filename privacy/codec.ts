// Payload encryption: an AES-256-GCM PayloadCodec. Every payload a client or worker sends to Temporal
// (workflow and activity inputs and results, signals, queries and their answers, summaries) is stored as
// ciphertext; Temporal itself never sees the data. The id of the key that encrypted a payload travels in its
// metadata, so keys can rotate: the first configured key encrypts, every configured key decrypts.
//
// Stored payload: metadata {encoding: "binary/encrypted", encryption-key-id: <id>}, data = 12-byte IV ‖
// ciphertext ‖ 16-byte GCM tag. The plaintext is the whole original payload (metadata included, as protobuf),
// and the key id is the GCM additional data, so neither can be swapped without the tag failing.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PayloadKey {
  /** Written into every payload it encrypts (not secret). */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** A payload whose key is not configured, or that fails authentication: the message names the key id only. */
export class PayloadDecryptionError extends Error {
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/** `<keyId>:<base64 of 32 bytes>[,<keyId>:<base64>…]`, as in PAYLOAD_KEYS. Errors never contain key material. */
export function parsePayloadKeys(text: string): PayloadKey[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('expected at least one key as <keyId>:<base64 of 32 bytes>');
  const keys: PayloadKey[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new Error(`key ${i + 1}: expected <keyId>:<base64 key>, with a key id of letters, digits, ".", "_" or "-" (at most 64)`);
    const b64 = entry.slice(colon + 1).trim();
    const key = Buffer.from(b64, 'base64');
    const canonical = (s: string) => s.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
    if (key.length !== 32 || canonical(key.toString('base64')) !== canonical(b64)) {
      throw new Error(`key "${id}": expected base64 of exactly 32 random bytes (openssl rand -base64 32)`);
    }
    if (keys.some((k) => k.id === id)) throw new Error(`key "${id}" is listed twice`);
    keys.push({ id, key });
  });
  return keys;
}

/** A new random key in PAYLOAD_KEYS format. */
export function generatePayloadKey(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

const utf8 = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class PayloadEncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: PayloadKey;

  constructor(keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('PayloadEncryptionCodec needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new Error(`key "${k.id}" is not 32 bytes`);
    this.current = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id new payloads are encrypted with. */
  get keyId(): string {
    return this.current.id;
  }

  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  encrypt(payload: Payload): Payload {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) },
      data,
    };
  }

  /** Payloads that are not encrypted (written before encryption was on, or by simulate) pass through. */
  decrypt(payload: Payload): Payload {
    if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const id = utf8(payload.metadata?.[KEY_ID_METADATA]);
    if (!id) throw new PayloadDecryptionError(`an encrypted payload has no "${KEY_ID_METADATA}" in its metadata`);
    const key = this.byId.get(id);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload was encrypted with key id "${id}", which is not configured (known: ${this.keyIds.map((k) => `"${k}"`).join(', ')}). Add that key to PAYLOAD_KEYS to read it.`,
        id,
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key id "${id}") is truncated`, id);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadDecryptionError(
        `payload encrypted with key id "${id}" failed authentication: it was altered, or the key configured as "${id}" is not the one that encrypted it`,
        id,
      );
    }
  }
}
