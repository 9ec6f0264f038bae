// A retried send after a crash returns the recorded result instead of sending again.
import { mkdtempSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDeliveryActivities } from '../../activities/delivery';
import { createOutbox } from '../../activities/outbox';
import type { DeliverInput } from '../../domain/delivery';

const input = (key: string): DeliverInput => ({
  idempotencyKey: key,
  customerId: 'c1',
  journey: 'welcome',
  channel: 'email',
  to: 'a@example.com',
  template: 'welcome/hello',
  topic: 'marketing',
  vars: { customer: { id: 'c1' }, traits: {}, data: {}, journey: 'welcome' },
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  const sent: string[] = [];
  const activities = createDeliveryActivities(
    { email: async (i) => (sent.push(i.idempotencyKey), { providerId: `p-${i.idempotencyKey}` }) },
    { outbox: createOutbox(dir) },
  );
  return { dir, sent, activities };
}

test('a retry of a send that reached the provider (journaled) does not send again', async () => {
  const { sent, activities } = setup();
  const first = await new MockActivityEnvironment({ attempt: 1 }).run(activities.deliver, input('k1'));
  // The worker died before Temporal heard of it: attempt 2 on the same host.
  const retry = await new MockActivityEnvironment({ attempt: 2 }).run(activities.deliver, input('k1'));
  expect(sent).toEqual(['k1']);
  expect(retry).toEqual(first);
});

test('a retry on another host finds the result in the last heartbeat', async () => {
  const { sent, activities } = setup();
  const retry = await new MockActivityEnvironment({ attempt: 3, heartbeatDetails: { sent: { providerId: 'p-elsewhere' } } }).run(
    activities.deliver,
    input('k2'),
  );
  expect(retry).toEqual({ providerId: 'p-elsewhere' });
  expect(sent).toEqual([]);
});

test('a retry of a send that never reached the provider sends; first attempts never read the journal', async () => {
  const { dir, sent, activities } = setup();
  await new MockActivityEnvironment({ attempt: 2 }).run(activities.deliver, input('k3'));
  expect(sent).toEqual(['k3']);
  // A torn line left by a killed process does not break lookups.
  appendFileSync(join(dir, readdirSync(dir)[0]), '{"key":"k4","res');
  await new MockActivityEnvironment({ attempt: 2 }).run(activities.deliver, input('k4'));
  expect(sent).toEqual(['k3', 'k4']);
});

test('a slow send heartbeats while it runs, so a dead worker is told from a slow provider; a quick one sends only its result', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  let release: () => void = () => {};
  const activities = createDeliveryActivities(
    {
      email: (i) =>
        i.idempotencyKey === 'slow'
          ? new Promise((r) => (release = () => r({ providerId: 'p-slow' })))
          : Promise.resolve({ providerId: `p-${i.idempotencyKey}` }),
    },
    { outbox: createOutbox(dir), heartbeatEveryMs: 10 },
  );
  const slowEnv = new MockActivityEnvironment({ attempt: 1 });
  const beats: unknown[] = [];
  slowEnv.on('heartbeat', (d: unknown) => {
    beats.push(d);
    if (beats.length === 3) release();
  });
  await slowEnv.run(activities.deliver, input('slow'));
  expect(beats.slice(0, 3)).toEqual([undefined, undefined, undefined]);
  expect(beats.at(-1)).toEqual({ sent: { providerId: 'p-slow' } });

  const quickEnv = new MockActivityEnvironment({ attempt: 1 });
  const quickBeats: unknown[] = [];
  quickEnv.on('heartbeat', (d: unknown) => quickBeats.push(d));
  await quickEnv.run(activities.deliver, input('quick'));
  expect(quickBeats).toEqual([{ sent: { providerId: 'p-quick' } }]);
});
