// `npm run demo` (with `npm start` running in another terminal): a few sample customers whose events go
// through the real ingest API, so a newcomer sees journeys in the Temporal UI, mails in the inbox and an SMS
// at the Twilio mock within a minute, and a cohort of win-back customers whose outcomes `omnijourney report`
// and the dashboard show. The customers live in a timezone where it is daytime now, so quiet hours do not
// hold their messages until morning.
import { randomUUID } from 'node:crypto';
import { ConfigError, loadConfig } from '../config/config';
import { connectClient } from '../client/connect';
import { customerWorkflowId, updateConsentSignal } from '../domain/messages';
import { pickVariant } from '../sdk/split';
import winBack from '../journeys/winBack';

const DAYTIME_ZONES = [
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Asia/Kolkata',
  'Europe/Berlin',
  'America/Sao_Paulo',
  'Pacific/Auckland',
  'Asia/Dubai',
];

/** Win-back customers the demo sends: enough for each offer arm to pass the report's minimum sample. */
const WIN_BACK_CUSTOMERS = 160;

function localHour(tz: string, at = new Date()): number {
  return Number(new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', hourCycle: 'h23' }).format(at));
}

const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const yearsAgo = (years: number, days = 0) => new Date(Date.now() - years * 365.25 * 86_400_000 - days * 86_400_000).toISOString().slice(0, 10);

async function main(): Promise<void> {
  const config = loadConfig();
  const api = `http://127.0.0.1:${config.api.port}`;
  const key = config.api.writeKeys[0];
  const health = await fetch(`${api}/healthz`).catch(() => null);
  if (!health?.ok) {
    throw new Error(
      `the ingest API at ${api} is not answering${health ? ` (${health.status})` : ''}. Start the engine first with \`npm start\` in another terminal, then run \`npm run demo\` again.`,
    );
  }
  const tz = DAYTIME_ZONES.find((z) => localHour(z) >= 10 && localHour(z) <= 18) ?? 'UTC';
  const run = randomUUID().slice(0, 6);
  const id = (name: string) => `demo-${name}-${run}`;

  async function post(path: string, body: object): Promise<void> {
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  }
  const identify = (name: string, traits: object) => post('/v1/identify', { userId: id(name), traits: { timezone: tz, ...traits }, context: { timezone: tz } });
  const track = (name: string, event: string, properties: object) => post('/v1/track', { userId: id(name), event, properties });

  console.log(`sending demo events to ${api} (customers in ${tz}, where it is ${localHour(tz)}:00 now)…`);

  await identify('ada', { email: 'ada@example.com', firstName: 'Ada' });
  await track('ada', 'user.signed_up', { plan: 'pro' });
  console.log(`  ${id('ada')}: signed up → welcome mail now, a nudge in 3 days unless she creates a project`);

  await identify('maya', { email: 'maya@example.com', firstName: 'Maya' });
  await track('maya', 'pet.adopted', { petId: 'rex', name: 'Rex', species: 'dog', breed: 'Labrador Retriever', birthDate: yearsAgo(0, 60) });
  await track('maya', 'pet.adopted', { petId: 'bella', name: 'Bella', species: 'dog', breed: 'Beagle', birthDate: yearsAgo(5) });
  console.log(`  ${id('maya')}: adopted a puppy and a five-year-old → two pet journeys, a puppy welcome and an adult welcome`);

  await identify('grace', { email: 'grace@example.com', firstName: 'Grace', birthDate: '1981-05-02', interests: ['gardening'] });
  await track('grace', 'order.completed', {
    orderId: `o-${run}`,
    items: [{ sku: 'h-1', name: 'Skater hoodie', category: 'streetwear', price: 49, audience: 'teen' }],
  });
  console.log(`  ${id('grace')}: a 45-year-old bought a teen hoodie → "was it a gift?" survey, interests untouched`);

  await identify('carla', { email: 'carla@example.com', firstName: 'Carla', phone: '+14155550123' });
  // SMS is opt-in: grant it the way the preference centre does.
  const client = await connectClient(config);
  await client.workflow.getHandle(customerWorkflowId(id('carla'))).signal(updateConsentSignal, { channel: 'sms', granted: true, source: 'demo' });
  await client.connection.close();
  await track('carla', 'booking.completed', { bookingId: `b-${run}`, destination: 'Lisbon', departDate: daysFromNow(3) });
  await track('carla', 'checkout.started', { cartId: `c-${run}`, items: [{ sku: 'shoe-1', name: 'Trail shoes', price: 89 }], value: 89 });
  console.log(`  ${id('carla')}: booked Lisbon for in 3 days → pre-trip SMS now (Prism log); left a cart → reminder email in 1 hour`);

  // Win-back: enough customers that the report and the dashboard have arms to compare. Their arms are the
  // engine's own (pickVariant, as j.split picks them); whether each comes back is made up here, more often
  // with a free month than with 20% off, and least often in the holdout, which gets nothing.
  const comeBack: Record<string, number> = { control: 10, 'percent-off': 20, 'free-month': 40 };
  let back = 0;
  for (let i = 0; i < WIN_BACK_CUSTOMERS; i++) {
    const name = `wb${i}`;
    await post('/v1/batch', {
      batch: [
        { type: 'identify', userId: id(name), traits: { email: `${name}@example.com`, firstName: `Wren ${i}`, timezone: tz }, context: { timezone: tz } },
        { type: 'track', userId: id(name), event: 'subscription.cancelled', properties: { subscriptionId: `s-${name}-${run}`, plan: 'pro' } },
      ],
    });
  }
  for (let i = 0; i < WIN_BACK_CUSTOMERS; i++) {
    const customer = id(`wb${i}`);
    const holdout = pickVariant(`${customer}:${winBack.name}:holdout`, { control: 10, treatment: 90 });
    const arm = holdout === 'control' ? 'control' : pickVariant(`${customer}:${winBack.name}:offer`, { 'percent-off': 50, 'free-month': 50 });
    if (pickVariant(`${customer}:demo-comes-back`, { yes: comeBack[arm], no: 100 - comeBack[arm] }) === 'no') continue;
    back += 1;
    await track(`wb${i}`, 'subscription.started', { subscriptionId: `s2-wb${i}-${run}` });
  }
  console.log(`  ${WIN_BACK_CUSTOMERS} customers cancelled → win-back: 10% holdout, the rest an A/B offer; ${back} came back (subscription.started)`);

  console.log(`
Where to look (within a minute):
  inbox        http://localhost:${config.smtp.inboxPort}
  SMS          the "prism" lines in the npm start terminal (POST …/Messages.json)
  Temporal UI  http://localhost:${config.temporal.uiPort}/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(`CustomerId STARTS_WITH "demo-"`)}
  a profile    npx omnijourney profile ${id('carla')}
  outcomes     npx omnijourney report win-back
  dashboard    http://127.0.0.1:${config.api.port}/dashboard${config.api.usesDevOperatorToken ? ` (operator token ${config.api.operatorTokens[0]})` : ''}`);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `demo failed: ${(err as Error).message}`);
  process.exit(1);
});
