// The gift-or-self journey on the real engine (time-skipping server, real SMTP): a gift never teaches
// us the buyer's taste; a purchase for oneself does.
import type { SimulationClock } from '../../simulate/clock';
import { profileQuery } from '../../domain/messages';
import type { RunningEngine } from '../helpers/engine';
import type { SmtpSink } from '../../harness/smtpSink';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;
let smtp: SmtpSink;
let engine: RunningEngine;
let clock: SimulationClock;
const DAY = 86_400_000;

beforeAll(async () => {
  h = await startTimeSkippingHarness({ policy: { caps: { perDay: 5, perWeek: 10 }, quietHours: null } });
  ({ smtp, engine, clock } = h);
});

afterAll(async () => {
  await h?.stop();
});

const later = async (ms: number) => clock.advanceTo(new Date((await clock.now()).getTime() + ms));
const templates = (id: string) => smtp.mailsTo(`${id}@example.com`).map((m) => String(m.headers.get('x-omnijourney-template')));
const interests = async (id: string) => (await engine.client.workflow.getHandle(`customer:${id}`).query(profileQuery)).traits.interests;
const hoodie = { sku: 'h-1', name: 'Skater hoodie', category: 'streetwear', price: 49, audience: 'teen' };
const boots = { sku: 'b-1', name: 'Hiking boots', category: 'outdoor', price: 140, audience: 'adult' };

async function buyer(id: string) {
  h.watch(id);
  await engine.send({
    customerId: id,
    type: 'identify',
    name: 'identify',
    traits: { email: `${id}@example.com`, firstName: 'Grace', birthDate: '1981-05-02', interests: ['gardening'] },
  });
}

test('a gift-wrapped order leaves interests alone and sends no "more of the same"; a purchase for oneself adds interests and a cross-sell', async () => {
  await buyer('grace');
  await engine.send({ customerId: 'grace', name: 'order.completed', properties: { orderId: 'g-1', items: [boots], giftWrap: true } });
  await later(10 * DAY);
  expect(templates('grace')).toEqual([]);
  expect(await interests('grace')).toEqual(['gardening']);

  await engine.send({ customerId: 'grace', name: 'order.completed', properties: { orderId: 'g-2', items: [boots] } });
  await later(DAY);
  expect(await interests('grace')).toEqual(['gardening', 'outdoor']);
  await later(3 * DAY);
  expect(templates('grace')).toEqual(['gift-or-self/cross-sell']);
  expect(smtp.mailsTo('grace@example.com')[0].subject).toBe('More outdoor picks for you');
});

test("teen merchandise bought by a 45-year-old gets one survey; the answer schedules a reminder 14 days before the niece's next birthday", async () => {
  await buyer('hank');
  await engine.send({ customerId: 'hank', name: 'order.completed', properties: { orderId: 'h-1', items: [hoodie] } });
  await later(DAY);
  expect(templates('hank')).toEqual(['gift-or-self/survey']);

  const now = await clock.now();
  const birthday = new Date(now.getTime() + 60 * DAY);
  const mmdd = birthday.toISOString().slice(5, 10);
  await engine.send({
    customerId: 'hank',
    name: 'survey.answered',
    properties: { orderId: 'h-1', gift: true, occasion: 'birthday', occasionDate: mmdd, recipient: { name: 'Lily', relation: 'niece' } },
  });
  await later(45 * DAY);
  expect(templates('hank')).toEqual(['gift-or-self/survey']);
  await later(2 * DAY);
  expect(templates('hank')).toEqual(['gift-or-self/survey', 'gift-or-self/occasion-reminder']);
  expect(smtp.mailsTo('hank@example.com')[1].text).toContain("Lily's birthday");
  expect(await interests('hank')).toEqual(['gardening']);
});

test('no answer to the survey within 7 days: unknown — interests unchanged, no cross-sell', async () => {
  await buyer('ivy');
  await engine.send({ customerId: 'ivy', name: 'order.completed', properties: { orderId: 'i-1', items: [hoodie] } });
  await later(30 * DAY);
  expect(templates('ivy')).toEqual(['gift-or-self/survey']);
  expect(await interests('ivy')).toEqual(['gardening']);
});
