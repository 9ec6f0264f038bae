// `npm start` runs this as the worker process; in production run it N times on one task queue.
import type { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config/config';
import { createWorkerActivities } from './activities';
import { describePayloadKeys, resolvePayloadKeys } from '../config/payloadKeys';
import { PayloadEncryptionCodec } from '../privacy/codec';
import { connectClient, connectWorker } from '../client/connect';
import { createEngineWorker } from './createWorker';
import { setHeapGrowth } from './heap';
import { startWorkerFacts } from './facts';
import { registerSearchAttributes } from './searchAttributes';
import { oncePerRunTaskFailureLogger } from './taskFailures';

async function main(): Promise<void> {
  // Refuses missing and development secrets in production mode (README "Configuration").
  const config = loadConfig(process.env, { role: 'worker' });
  setHeapGrowth(config.workerHeapGrowingPercent);
  Runtime.install({
    // A bug in journey code: one line per run naming the journey, file and line, not one per retry of its task.
    logger: oncePerRunTaskFailureLogger(new DefaultLogger('WARN')),
    // Temporal's worker metrics plus the engine's own (omnijourney_deliveries by journey, channel, status, reason).
    ...(config.workerMetricsPort
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${config.workerMetricsPort}`, countersTotalSuffix: true } } } }
      : {}),
  });
  if (config.temporal.address) {
    // A cluster of the user's: make sure the engine's search attributes exist (needs operator rights).
    const client = await connectClient(config);
    await registerSearchAttributes(client.connection as Connection, config.temporal.namespace).catch((err) =>
      console.warn(
        `could not register search attributes (${(err as Error).message}); add CustomerId, JourneyName, JourneyStep, PhoneLookup (Keyword) and JourneyVersion (Int) to namespace ${config.temporal.namespace}`,
      ),
    );
  }
  // Payload encryption (README "Privacy"): the same keys as the API and CLI, or nobody can read the data.
  const keys = resolvePayloadKeys(config);
  console.log(describePayloadKeys(keys));
  if (config.production) console.log('production mode: every secret this process uses is set, none is a development default');
  const facts = await startWorkerFacts(config);
  const connection = await connectWorker(config);
  const worker = await createEngineWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createWorkerActivities(config),
    payloadCodecs: keys ? [new PayloadEncryptionCodec(keys.keys)] : undefined,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    recordFact: facts.record,
  });
  // The identity is what the Temporal UI shows as the worker that ran each task.
  console.log(`worker polling task queue "${config.temporal.taskQueue}" on ${config.temporal.namespace} as ${worker.options.identity}`);
  await worker.run();
  await facts.close();
  await connection.close();
}

main().catch((err) => {
  console.error(`worker stopped: ${(err as Error).message}`);
  process.exit(1);
});
