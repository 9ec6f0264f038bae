// Onboarding: welcome mail at sign-up, a nudge if no first project within 3 days, a check-in after 30 days.
// Converts (and stops) when the customer subscribes.
import { z } from 'zod';
import { defineJourney } from '../sdk/journey';

export const SignedUp = z.object({
  plan: z.enum(['free', 'pro', 'team']).default('free'),
});

export default defineJourney({
  name: 'welcome',
  version: 1,
  description: 'Welcome, first-project nudge, 30-day check-in',
  trigger: { event: 'user.signed_up', schema: SignedUp },
  reentry: 'never',
  exitOn: ['user.deleted'],
  goal: { event: 'subscription.started' },
  waits: ['project.created'],
  async run(j) {
    j.step('welcome');
    await j.send('email', 'welcome/hello', { plan: j.entry.properties.plan });

    j.step('wait-for-first-project');
    const project = await j.waitFor('project.created', { within: '3 days' });
    if (!project) {
      j.step('nudge');
      await j.send('email', 'welcome/first-project-nudge');
    }

    await j.sleep('30 days');
    j.step('check-in');
    await j.send('email', 'welcome/check-in', { activated: project !== null });
  },
});
