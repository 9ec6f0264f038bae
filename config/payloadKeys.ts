// Where the payload keys come from: PAYLOAD_KEYS, or, for local development only, a random key kept in the
// data folder (`.data/payload-key`), created once by whichever process needs it first (normally `npm start`).
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { ConfigError, type Config } from './config';
import { generatePayloadKey, parsePayloadKeys, type PayloadKey } from '../privacy/codec';

const root = resolve(__dirname, '..');
export const DEV_KEY_FILE = 'payload-key';

/** `<repo>/<OMNIJOURNEY_DATA_DIR>/payload-key` (an absolute data dir stays as it is). */
export function devPayloadKeyPath(config: Pick<Config, 'dataDir'>): string {
  return resolve(root, config.dataDir, DEV_KEY_FILE);
}

/** Reads the key file, creating it first if it does not exist (atomically: concurrent callers agree on one key). */
export function ensureDevPayloadKey(path: string): { keys: PayloadKey[]; created: boolean } {
  let created = false;
  try {
    readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${generatePayloadKey(`dev-${randomBytes(3).toString('hex')}`)}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, path); // fails with EEXIST if another process was first: then its key is used
      created = true;
    } catch (linkErr) {
      if ((linkErr as NodeJS.ErrnoException).code !== 'EEXIST') throw linkErr;
    } finally {
      unlinkSync(tmp);
    }
  }
  try {
    return { keys: parsePayloadKeys(readFileSync(path, 'utf8')), created };
  } catch (err) {
    throw new ConfigError(`the development payload key file ${path} is invalid (${(err as Error).message}). Restore it, or set PAYLOAD_KEYS.`);
  }
}

export interface PayloadKeySource {
  keys: PayloadKey[];
  /** `PAYLOAD_KEYS`, or the path of the development key file. */
  from: string;
  /** The development key file was created by this call. */
  created: boolean;
}

/** The keys this process uses, or null when PAYLOAD_ENCRYPTION=off. */
export function resolvePayloadKeys(config: Pick<Config, 'privacy' | 'temporal' | 'dataDir'>): PayloadKeySource | null {
  if (!config.privacy.encryption) return null;
  if (config.privacy.payloadKeys) return { keys: config.privacy.payloadKeys, from: 'PAYLOAD_KEYS', created: false };
  if (config.temporal.address) {
    throw new ConfigError(
      'invalid configuration:\n  PAYLOAD_KEYS: required when TEMPORAL_ADDRESS is set (a development key file on one machine would lock every other worker out of the data). ' +
        'Create one with  echo "k1:$(openssl rand -base64 32)"  and give every worker, API and CLI the same value, or set PAYLOAD_ENCRYPTION=off.\nSee README "Privacy".',
    );
  }
  const path = devPayloadKeyPath(config);
  return { ...ensureDevPayloadKey(path), from: path };
}

/** For `new Client({ dataConverter })` and `Worker.create({ dataConverter })`. */
export function dataConverterFor(codec: PayloadCodec | undefined): { payloadCodecs: PayloadCodec[] } | undefined {
  return codec ? { payloadCodecs: [codec] } : undefined;
}

/** One line for logs: which key encrypts, and where the keys come from. */
export function describePayloadKeys(source: PayloadKeySource | null): string {
  if (!source) return 'payload encryption is OFF (PAYLOAD_ENCRYPTION=off): Temporal stores customer data in clear text';
  const others = source.keys.length > 1 ? ` (+${source.keys.length - 1} older key(s) for decryption)` : '';
  return `payload encryption on: key "${source.keys[0].id}"${others} from ${source.from}${source.created ? ' (created now)' : ''}`;
}
