import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { temporalAddress, type Config } from '../config/config';
import { PayloadEncryptionCodec } from '../privacy/codec';
import { dataConverterFor, describePayloadKeys, resolvePayloadKeys } from '../config/payloadKeys';

/** Retries for a while: under `npm start` the dev server may still be starting. */
export async function withRetry<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`${what} failed: ${(err as Error).message}. Is the Temporal server running at the configured TEMPORAL_ADDRESS?`);
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * attempt)));
    }
  }
}

export function connectionOptions(config: Config) {
  return {
    address: temporalAddress(config),
    tls: config.temporal.tls ? {} : undefined,
    apiKey: config.temporal.apiKey,
  };
}

export function connectWorker(config: Config): Promise<NativeConnection> {
  return withRetry(`connecting the worker to ${temporalAddress(config)}`, () => NativeConnection.connect(connectionOptions(config)));
}

/** The payload codec of this process (README "Privacy"): undefined with PAYLOAD_ENCRYPTION=off. Says so on
 *  stderr when it had to create the development key. */
export function payloadCodec(config: Config): PayloadEncryptionCodec | undefined {
  const source = resolvePayloadKeys(config);
  if (source?.created) console.error(describePayloadKeys(source));
  return source ? new PayloadEncryptionCodec(source.keys) : undefined;
}

/** A client that encrypts and decrypts payloads with the configured keys. */
export async function connectClient(config: Config, timeoutMs?: number): Promise<Client> {
  const dataConverter = dataConverterFor(payloadCodec(config));
  const connection = await withRetry(`connecting to Temporal at ${temporalAddress(config)}`, () => Connection.connect(connectionOptions(config)), timeoutMs);
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter });
}
