// Gift or self-purchase: one run per order. A gift (or an order we cannot place) never changes the
// buyer's interests and gets no "more of the same" follow-up; a purchase for themselves adds its
// categories to `interests` and gets a cross-sell a few days later. A gift with an occasion date
// (from the survey) gets a reminder two weeks before the next occurrence — the niece's next birthday.
import { z } from 'zod';
import { nextOccurrence } from '../../sdk/schedule';
import { defineJourney } from '../../sdk/journey';
import { classify, withInterests, type Order } from './classify';

export const OrderCompleted = z.object({
  orderId: z.string().min(1),
  items: z
    .array(
      z.object({
        sku: z.string().min(1),
        name: z.string().min(1),
        category: z.string().min(1),
        price: z.number().nonnegative(),
        audience: z.enum(['kids', 'teen', 'adult']).optional(),
      }),
    )
    .min(1),
  giftWrap: z.boolean().optional(),
  giftMessage: z.string().optional(),
  shipTo: z.object({ name: z.string() }).optional(),
  billTo: z.object({ name: z.string() }).optional(),
});

const SurveyAnswer = z.object({
  orderId: z.string(),
  gift: z.boolean(),
  occasion: z.string().optional(),
  occasionDate: z
    .string()
    .regex(/^\d{2}-\d{2}$/)
    .optional(),
  recipient: z.object({ name: z.string(), relation: z.string().optional() }).optional(),
});

export default defineJourney({
  name: 'gift-or-self',
  version: 1,
  description: 'Tell gifts from purchases for oneself; learn interests only from the latter',
  trigger: { event: 'order.completed', schema: OrderCompleted, key: (p) => p.orderId },
  reentry: 'never',
  waits: ['survey.answered'],
  async run(j) {
    const order: Order = j.entry.properties;
    const verdict = classify(order, j.traits(), j.now());
    let kind: 'gift' | 'self' | 'unknown' = verdict.kind === 'ask' ? 'unknown' : verdict.kind;
    let answer: z.infer<typeof SurveyAnswer> | undefined;

    if (verdict.kind === 'ask') {
      await j.send('email', 'gift-or-self/survey', { orderId: order.orderId, items: order.items }, { step: 'survey' });
      // An answer that does not parse still ends the wait (kind stays unknown), as it always has: a `schema`
      // here would skip it and keep waiting, which live runs did not.
      const reply = await j.waitFor('survey.answered', { within: '7 days', match: 'orderId' });
      const parsed = reply ? SurveyAnswer.safeParse(reply.properties) : undefined;
      if (parsed?.success) {
        answer = parsed.data;
        kind = answer.gift ? 'gift' : 'self';
      }
    }
    j.step(kind);

    if (kind === 'self') {
      await j.updateTraits({ interests: withInterests(j.traits().interests, order) });
      await j.sleep('3 days');
      await j.send('email', 'gift-or-self/cross-sell', { categories: [...new Set(order.items.map((i) => i.category))], items: order.items });
      return;
    }
    if (kind === 'gift' && answer?.occasionDate) {
      // Two weeks before the next occurrence that is still at least two weeks away.
      let date = nextOccurrence(answer.occasionDate, j.now());
      for (let tries = 0; tries < 2; tries++) {
        if (await j.sleepUntil(date, { offset: '-14 days', localTime: '10:00', step: 'occasion' })) {
          await j.send('email', 'gift-or-self/occasion-reminder', {
            occasion: answer.occasion ?? 'the big day',
            occasionDate: answer.occasionDate,
            date,
            recipient: answer.recipient ?? null,
          });
          return;
        }
        date = nextOccurrence(answer.occasionDate, new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000));
      }
    }
    // A gift without an occasion, or no answer: nothing more, and the buyer's interests stay as they were.
  },
});
