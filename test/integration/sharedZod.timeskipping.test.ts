// zod is one copy for every workflow of a worker, frozen by the SDK (worker/sharedZod.cjs): schemas that use
// zod's built-in formats still parse inside the workflows, for every customer, in the customer workflow (the
// trigger) and in a journey's workflow (a wait's schema), and a value that fails them is refused naming the
// field. Before the loader guarded zod's `lastIndex` resets, the first `z.email()` parse in a workflow failed
// its workflow task ("Cannot assign to read only property 'lastIndex'"). Time-skipping server, real SMTP.
import { randomUUID } from 'node:crypto';
import vm from 'node:vm';
import { journeyStatusQuery, stateQuery } from '../../domain/messages';
import { buildWorkflowBundle } from '../../worker/bundle';
import { bundleWithTestJourneys } from '../helpers/engine';
import { eventually } from '../helpers/eventually';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;

beforeAll(async () => {
  h = await startTimeSkippingHarness({ policy: { caps: { perDay: 10, perWeek: 50 }, quietHours: null } }, undefined, bundleWithTestJourneys());
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const state = (id: string) => h.engine.client.workflow.getHandle(`customer:${id}`).query(stateQuery);
const templates = (id: string) => h.smtp.mailsTo(`${id}@example.com`).map((m) => m.headers.get('x-omnijourney-template'));

async function customer(id: string): Promise<void> {
  h.watch(id);
  await h.engine.send({ customerId: id, type: 'identify', name: 'identify', traits: { email: `${id}@example.com` } });
}

test('customers one after another: formats parse in both workflows, and a bad value is refused naming its field', async () => {
  for (const id of ['fz-ada', 'fz-bo']) {
    await customer(id);
    await h.engine.send({ customerId: id, name: 'formats.given', properties: { contact: `${id}@ok.example`, ticket: randomUUID() } });
    const run = await h.engine.started(`journey:formats:${id}`);
    await h.engine.send({ customerId: id, name: 'formats.confirmed', properties: { by: 'not an address', at: new Date().toISOString() } });
    await eventually(
      `${id}'s run ignoring the bad confirmation`,
      async () => (await run.query(journeyStatusQuery)).timeline.find((e) => e.kind === 'ignored' && e.detail === 'formats.confirmed'),
      { timeoutMs: 30_000 },
    ).then((ignored) => expect(ignored?.reason).toMatch(/by/));
    await h.engine.send({ customerId: id, name: 'formats.confirmed', properties: { by: `${id}@ok.example`, at: '2026-11-30T10:00:00Z' } });
    await eventually(`${id}'s mail`, async () => h.smtp.mailsTo(`${id}@example.com`)[0], { timeoutMs: 30_000 });
    expect(templates(id)).toEqual(['welcome/check-in']);
    expect(h.smtp.mailsTo(`${id}@example.com`)[0].text).toContain('three tips for power users'); // the valid confirmation arrived
  }

  await customer('fz-cy');
  await h.engine.send({ customerId: 'fz-cy', name: 'formats.given', properties: { contact: 'nope', ticket: 'not-a-uuid' } });
  const rejection = await eventually('the rejected trigger', async () => (await state('fz-cy')).rejections[0], { timeoutMs: 30_000 });
  expect(rejection).toMatchObject({ journey: 'formats', event: 'formats.given' });
  expect(rejection.error).toContain('properties.contact');
  expect(rejection.error).toContain('properties.ticket');
  expect(Object.values((await state('fz-cy')).journeys).filter((r) => r.journey === 'formats')).toEqual([]);
});

test("the worker's bundle evaluates zod once: a workflow's own module copies hold none of zod's files", async () => {
  const { code } = await buildWorkflowBundle();
  // As the SDK's reusable context does (@temporalio/worker, workflow/reusable-vm.js): a module required before
  // any workflow exists (preloadModules) goes to the shared cache; each workflow gets its own for the rest.
  const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' }) as { __TEMPORAL_ACTIVATOR__?: { moduleCache: Map<string, unknown> } };
  const shared = new Map<string, unknown>();
  const cache = new Proxy(
    {},
    {
      get: (_, id: string) => shared.get(id) ?? context.__TEMPORAL_ACTIVATOR__?.moduleCache.get(id),
      set: (_, id: string, module) => {
        (context.__TEMPORAL_ACTIVATOR__?.moduleCache ?? shared).set(id, module);
        return true;
      },
    },
  );
  Object.defineProperty(context, '__webpack_module_cache__', { value: cache });
  vm.runInContext(code, context);
  vm.runInContext('__TEMPORAL__.preloadModules()', context);
  const ownModules = (): string[] => {
    context.__TEMPORAL_ACTIVATOR__ = { moduleCache: new Map() };
    vm.runInContext('__TEMPORAL__.importWorkflows()', context);
    return [...context.__TEMPORAL_ACTIVATOR__.moduleCache.keys()];
  };
  const zod = (ids: Iterable<string>) => [...ids].filter((id) => id.includes('/node_modules/zod/'));

  // Every zod module the bundle holds (webpack heads each with `/***/ "<id>"`) is in the shared cache.
  const bundled = zod([...code.matchAll(/^\/\*\*\*\/ "([^"]+)"$/gm)].map((m) => m[1]));
  expect(bundled.length).toBeGreaterThan(10);
  expect(zod(shared.keys()).sort()).toEqual(bundled.sort());
  for (const own of [ownModules(), ownModules()]) {
    expect(zod(own)).toEqual([]);
    expect(own.some((id) => id.endsWith('journeys/welcome.ts'))).toBe(true);
  }
});
