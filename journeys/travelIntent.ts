// Travel intent: one run per destination (keyed by the destination). Three views of one destination's
// page within 14 days mean real interest: two hours after the third view (time to book on their own)
// the customer gets one inspiration email about that place — what to see, when to go — not a price push.
//
// The 14 days are a sliding window: the run keeps the times of the views still inside it, and when the
// oldest falls out, the window moves on to the next one. When no view is left in the window (fewer than
// three views in any 14 days) the run ends quietly. After the inspiration the run rests for 90 days and
// ignores further views of that destination, so a keen browser is inspired once, not on every third
// click; a view after the rest may start a new run.
//
// `booking.completed` for the destination ends the run at once (exitOn with match): no inspiration for a
// trip they have just booked. The booking starts journeys/travelPreTrip.ts, which also marks the trip on
// the profile (trait `upcomingTrip:<destination>` = departure date, cleared after departure); while it is
// set, views of that destination start nothing here (trigger.when).
//
// Page views of other categories, or without a destination, are normal traffic: the schema accepts any
// page view (a bad field is read as missing) and the entry condition skips them, so nothing is started
// and no rejection is recorded on the customer.
import { z } from 'zod';
import type { Properties } from '../sdk/events';
import { defineJourney } from '../sdk/journey';

const DAY = 86_400_000;
export const VIEWS_NEEDED = 3;
export const WINDOW_MS = 14 * DAY;
export const SEND_DELAY = '2 hours';
export const REST_AFTER_INSPIRATION = '90 days';

/** One spelling per destination ("Lisbon", " lisbon " → "lisbon"): the run key and what events match on. */
export const destinationKey = (destination: unknown): string => (typeof destination === 'string' ? destination.trim().toLowerCase().replace(/\s+/g, '-') : '');

/** The trait travel-pre-trip sets while a trip to the destination is booked (value: departure date). */
export const upcomingTripTrait = (destination: unknown): string => `upcomingTrip:${destinationKey(destination)}`;

export const PageViewed = z.object({
  category: z.string().optional().catch(undefined),
  destination: z.string().trim().min(1).optional().catch(undefined),
});

const isDestinationView = (p: Properties): boolean => p.category === 'destination' && destinationKey(p.destination) !== '';

export default defineJourney({
  name: 'travel-intent',
  version: 1,
  description: 'Inspiration email after three views of one destination within 14 days, unless they book',
  trigger: {
    event: 'page.viewed',
    schema: PageViewed,
    key: (p) => destinationKey(p.destination),
    when: (p, traits) => isDestinationView(p) && !traits[upcomingTripTrait(p.destination)],
  },
  reentry: 'one-at-a-time',
  exitOn: [{ event: 'booking.completed', match: (e, entry) => destinationKey(e.properties.destination) === destinationKey(entry.properties.destination) }],
  waits: ['page.viewed'],
  async run(j) {
    const destination = j.entry.properties.destination as string;
    const key = destinationKey(destination);
    const views = [Date.parse(j.entry.receivedAt)];

    j.step('browsing');
    while (views.length < VIEWS_NEEDED) {
      const view = await j.waitFor('page.viewed', {
        within: new Date(views[0] + WINDOW_MS),
        match: (e) => isDestinationView(e.properties) && destinationKey(e.properties.destination) === key,
      });
      if (view) {
        views.push(Date.parse(view.receivedAt));
        continue;
      }
      views.shift(); // the oldest view left the window
      if (views.length === 0) {
        j.step('interest-faded');
        return;
      }
    }

    await j.sleep(SEND_DELAY, { step: 'interested' });
    await j.send('email', 'travel-intent/inspiration', { destination, guide: key, views: views.length }, { step: 'inspiration' });
    await j.sleep(REST_AFTER_INSPIRATION, { step: 'resting' });
  },
});
