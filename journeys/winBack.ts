// Win-back: a customer who cancels gets an offer, unless they fall in the 10% holdout, who get nothing and
// show how many would have come back anyway. The offer is itself an A/B test: 20% off or a free month. A
// reminder after a week (thanking them if they told us why they left), a last call on day 30 at 10:00
// local. Converts on subscription.started, counted up to 14 days after the last message: the report and
// the dashboard show each arm against the holdout and against each other.
import { z } from 'zod';
import { defineJourney } from '../sdk/journey';

export const SubscriptionCancelled = z.object({
  subscriptionId: z.string().min(1),
  plan: z.enum(['free', 'pro', 'team']).default('pro'),
  reason: z.string().max(200).optional(),
});

export default defineJourney({
  name: 'win-back',
  version: 1,
  description: 'Cancelled: 10% holdout; an A/B offer (20% off or a free month), a reminder after 7 days, a last call on day 30',
  trigger: { event: 'subscription.cancelled', schema: SubscriptionCancelled },
  reentry: { cooldown: '90 days' },
  exitOn: ['user.deleted'],
  goal: { event: 'subscription.started', within: '14 days' },
  waits: ['feedback.submitted'],
  async run(j) {
    if (j.split('holdout', { control: 10, treatment: 90 }) === 'control') return;
    const data = { offer: j.split('offer', { 'percent-off': 50, 'free-month': 50 }), plan: j.entry.properties.plan };
    j.step('offer');
    await j.send('email', 'win-back/offer', data);

    j.step('wait-for-feedback');
    const feedback = await j.waitFor('feedback.submitted', { within: '7 days' });
    j.step('reminder');
    await j.send('email', 'win-back/reminder', { ...data, gaveFeedback: feedback !== null });

    j.step('last-call');
    await j.sleepUntil(j.entry.receivedAt.slice(0, 10), { offset: '30 days', localTime: '10:00' });
    await j.send('email', 'win-back/last-call', data);
  },
});
