// The gift-or-self journey's decisions: a gift never teaches us the buyer's taste.
import giftOrSelf from '../../../journeys/giftOrSelf';
import { classify } from '../../../journeys/giftOrSelf/classify';
import { testJourney } from '../../../testkit/testJourney';

const start = '2026-03-02T15:00:00Z';
const hoodie = { sku: 'h-1', name: 'Skater hoodie', category: 'streetwear', price: 49, audience: 'teen' as const };
const boots = { sku: 'b-1', name: 'Hiking boots', category: 'outdoor', price: 140, audience: 'adult' as const };
const buyer45 = { firstName: 'Grace', birthDate: '1981-05-02', interests: ['gardening'] };

describe('classify', () => {
  const now = new Date(start);
  test('clear gift signals win: gift wrap, a gift message, a different recipient', () => {
    expect(classify({ orderId: 'o', items: [boots], giftWrap: true }, {}, now).kind).toBe('gift');
    expect(classify({ orderId: 'o', items: [boots], giftMessage: 'Happy birthday!' }, {}, now).kind).toBe('gift');
    expect(classify({ orderId: 'o', items: [boots], shipTo: { name: 'Lily Hopper' }, billTo: { name: 'Grace Hopper' } }, {}, now).kind).toBe('gift');
    expect(classify({ orderId: 'o', items: [boots], shipTo: { name: 'grace hopper ' }, billTo: { name: 'Grace Hopper' } }, {}, now).kind).toBe('self');
  });
  test('teen merchandise bought by a 45-year-old is a question, not a verdict; the same by a teen is self', () => {
    expect(classify({ orderId: 'o', items: [hoodie] }, buyer45, now)).toMatchObject({ kind: 'ask', why: 'teen items bought by a 44-year-old' });
    expect(classify({ orderId: 'o', items: [hoodie] }, { age: 16 }, now).kind).toBe('self');
    expect(classify({ orderId: 'o', items: [hoodie, boots] }, buyer45, now).kind).toBe('self');
    expect(classify({ orderId: 'o', items: [hoodie] }, {}, now).kind).toBe('self'); // age unknown: no reason to doubt
  });
});

test('a purchase for oneself adds its categories to interests and gets a cross-sell 3 days later', async () => {
  const r = await testJourney(giftOrSelf, { entry: { orderId: 'o-1', items: [boots] }, start, traits: buyer45 });
  expect(r.traits.interests).toEqual(['gardening', 'outdoor']);
  expect(r.messages).toEqual([
    expect.objectContaining({
      template: 'gift-or-self/cross-sell',
      at: '2026-03-05T15:00:00.000Z',
      data: expect.objectContaining({ categories: ['outdoor'] }),
    }),
  ]);
});

test('a gift-wrapped order changes no interests and gets no follow-up', async () => {
  const r = await testJourney(giftOrSelf, { entry: { orderId: 'o-2', items: [boots], giftWrap: true }, start, traits: buyer45 });
  expect(r.traits.interests).toEqual(['gardening']);
  expect(r.messages).toEqual([]);
  expect(r.steps.map((s) => s.step)).toEqual(['gift']);
});

test('a misfit order asks once; "a gift for my niece\'s birthday" leads to a reminder 14 days before her next birthday', async () => {
  const r = await testJourney(giftOrSelf, {
    entry: { orderId: 'o-3', items: [hoodie] },
    start,
    traits: { ...buyer45, timezone: 'Europe/London' },
    events: [
      {
        at: '2 days',
        name: 'survey.answered',
        properties: { orderId: 'o-3', gift: true, occasion: 'birthday', occasionDate: '06-20', recipient: { name: 'Lily', relation: 'niece' } },
      },
    ],
  });
  expect(r.messages.map((m) => [m.at, m.template])).toEqual([
    ['2026-03-02T15:00:00.000Z', 'gift-or-self/survey'],
    ['2026-06-06T09:00:00.000Z', 'gift-or-self/occasion-reminder'], // 10:00 BST
  ]);
  expect(r.messages[1].data).toMatchObject({ occasion: 'birthday', recipient: { name: 'Lily' } });
  expect(r.traits.interests).toEqual(['gardening']);
});

test('an occasion less than 14 days away is reminded next year', async () => {
  const r = await testJourney(giftOrSelf, {
    entry: { orderId: 'o-4', items: [hoodie] },
    start,
    traits: buyer45,
    events: [{ at: '1 day', name: 'survey.answered', properties: { orderId: 'o-4', gift: true, occasionDate: '03-10' } }],
  });
  expect(r.messages.at(-1)).toMatchObject({ template: 'gift-or-self/occasion-reminder', at: '2027-02-24T10:00:00.000Z' });
});

test('no answer within 7 days: unknown, so interests stay and no cross-sell', async () => {
  const r = await testJourney(giftOrSelf, { entry: { orderId: 'o-5', items: [hoodie] }, start, traits: buyer45 });
  expect(r.sent).toEqual(['gift-or-self/survey']);
  expect(r.steps.map((s) => s.step)).toEqual(['survey', 'unknown']);
  expect(r.traits.interests).toEqual(['gardening']);
  expect(r.endedAt).toBe('2026-03-09T15:00:00.000Z');
});

test('"it was for me" after the survey: interests learnt and a cross-sell', async () => {
  const r = await testJourney(giftOrSelf, {
    entry: { orderId: 'o-6', items: [hoodie] },
    start,
    traits: buyer45,
    events: [
      { at: '1 day', name: 'survey.answered', properties: { orderId: 'other', gift: true } },
      { at: '2 days', name: 'survey.answered', properties: { orderId: 'o-6', gift: false } },
    ],
  });
  expect(r.sent).toEqual(['gift-or-self/survey', 'gift-or-self/cross-sell']);
  expect(r.traits.interests).toEqual(['gardening', 'streetwear']);
});
