// `npm start` runs this as the ingest API process (`tsx api/main.ts`); in production run it behind a load
// balancer, as many as needed. It starts even while Temporal is unreachable: ingest then answers 503 and
// /healthz reports it, until Temporal is back.
import { Client, Connection } from '@temporalio/client';
import { ConfigError, DEV_OPERATOR_TOKEN, DEV_WRITE_KEY, loadConfig, temporalAddress } from '../config/config';
import { dataConverterFor, describePayloadKeys, resolvePayloadKeys } from '../config/payloadKeys';
import { PayloadEncryptionCodec } from '../privacy/codec';
import { connectionOptions } from '../client/connect';
import { customersConfig } from './customers';
import { deadlineBoundRetry } from '../client/deadline';
import { openPool } from '../store/pool';
import { buildServer } from './server';

async function main(): Promise<void> {
  // Refuses missing and development secrets in production mode, and on a non-loopback API_HOST or PUBLIC_URL.
  const config = loadConfig(process.env, { role: 'api' });
  // Lazy: no call is made until the first request, so the API is up (and says 503) while Temporal is not.
  // Payload encryption (README "Privacy"): the same keys as the worker; the API also serves them to the UI at /codec.
  const keys = resolvePayloadKeys(config);
  const codec = keys ? new PayloadEncryptionCodec(keys.keys) : undefined;
  const connection = Connection.lazy({ ...connectionOptions(config), interceptors: [deadlineBoundRetry()] });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(codec) });
  // The dashboard reads facts; the worker owns the schema (it migrates), so the API only opens a pool.
  const pool = config.store.databaseUrl ? openPool(config.store.databaseUrl) : undefined;
  const app = buildServer({
    client,
    taskQueue: config.temporal.taskQueue,
    api: config.api,
    engine: config.engine,
    customers: customersConfig(config),
    logger: { level: 'warn' },
    codec: codec && { codec, namespace: config.temporal.namespace, ...config.privacy.codec },
    store: pool && { db: pool },
  });
  let closing = false;
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await app.close();
    await connection.close();
    await pool?.end();
    process.exit(0);
  };
  process.on('SIGINT', () => void close());
  process.on('SIGTERM', () => void close());
  await app.listen({ port: config.api.port, host: config.api.host });
  const shownHost = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host;
  console.log(`ingest API on http://${shownHost}:${config.api.port} → Temporal ${temporalAddress(config)}, task queue "${config.temporal.taskQueue}"`);
  if (config.production) console.log('production mode: every secret this process uses is set, none is a development default');
  if (config.api.usesDevKey) console.log(`using the development write key "${DEV_WRITE_KEY}" (set API_WRITE_KEYS in production)`);
  else console.log(`${config.api.writeKeys.length} write key(s) configured`);
  console.log(`preference centre, one-click unsubscribe and Twilio webhooks at ${config.publicUrl} (PUBLIC_URL)`);
  console.log(describePayloadKeys(keys));
  const dashboard = `http://${shownHost}:${config.api.port}/dashboard`;
  const tokens = config.api.usesDevOperatorToken
    ? `development token "${DEV_OPERATOR_TOKEN}" (set OPERATOR_TOKENS in production)`
    : `${config.api.operatorTokens.length} operator token(s) configured`;
  console.log(`operator dashboard at ${dashboard}: ${pool ? tokens : 'facts are off (set DATABASE_URL)'}`);
  if (codec) {
    const access = config.privacy.codec.authTokens.length ? 'Authorization: Bearer <CODEC_AUTH_TOKEN>' : 'loopback callers only, no token';
    console.log(
      `codec endpoint for the Temporal UI: http://${shownHost}:${config.api.port}/codec (${access}; browser origins ${config.privacy.codec.corsOrigins.join(', ')})`,
    );
  }
}

main().catch((err) => {
  console.error(`ingest API stopped: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
  process.exit(1);
});
