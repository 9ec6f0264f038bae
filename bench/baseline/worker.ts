// The baseline worker as its own process (like worker/main.ts for the engine), so its RSS is its own.
// Plain SDK defaults: what someone writing these workflows by hand would run.
// Env: BENCH_TEMPORAL_ADDRESS, BENCH_TASK_QUEUE, BENCH_SMTP_PORT.
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBaselineActivities } from './activities';
import { buildBaselineBundle } from './bundle';

async function main(): Promise<void> {
  const address = process.env.BENCH_TEMPORAL_ADDRESS;
  const taskQueue = process.env.BENCH_TASK_QUEUE;
  const smtpPort = Number(process.env.BENCH_SMTP_PORT);
  if (!address || !taskQueue || !smtpPort) throw new Error('BENCH_TEMPORAL_ADDRESS, BENCH_TASK_QUEUE and BENCH_SMTP_PORT are required');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await buildBaselineBundle(),
    activities: createBaselineActivities({ host: '127.0.0.1', port: smtpPort }),
  });
  console.log(`baseline worker polling task queue "${taskQueue}"`);
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(`baseline worker stopped: ${(err as Error).message}`);
  process.exit(1);
});
