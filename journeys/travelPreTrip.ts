// Pre-trip: one run per booking (keyed by bookingId). Seven days before departure, at 09:00 in the
// customer's timezone, a pre-trip message about their own booking (SMS when they opted in to SMS, else
// email). It is transactional: it is about a trip they bought, so marketing opt-outs and caps do not
// apply. A booking made less than seven days before departure gets it at once; a booking whose
// departure day is already over (a back-filled event) gets nothing.
//
// While the trip is booked, the run keeps the trait `upcomingTrip:<destination>` (the departure date) on
// the profile, so journeys/travelIntent.ts does not try to inspire the customer to book a trip they
// already have; it clears the trait the day after departure.
import { z } from 'zod';
import { defineJourney } from '../sdk/journey';
import { resolveWakeTime } from '../sdk/schedule';
import { longDate } from './dates';
import { destinationKey, upcomingTripTrait } from './travelIntent';

const DAY = 86_400_000;
export const PRE_TRIP_OFFSET = '-7 days';
export const PRE_TRIP_TIME = '09:00';

export const BookingCompleted = z.object({
  bookingId: z.string().min(1),
  destination: z.string().trim().min(1),
  departDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'),
});

export default defineJourney({
  name: 'travel-pre-trip',
  version: 1,
  description: 'Pre-trip message 7 days before departure at 09:00 local (at once for late bookings)',
  trigger: { event: 'booking.completed', schema: BookingCompleted, key: (p) => p.bookingId },
  reentry: 'never',
  waits: [],
  async run(j) {
    const { bookingId, destination, departDate } = j.entry.properties;
    const trait = upcomingTripTrait(destination);
    const dayAfterDeparture = resolveWakeTime(departDate, { offset: '1 day' }, j.timezone());

    if (j.now() >= dayAfterDeparture) {
      j.step('already-departed');
      return;
    }
    j.step('booked');
    await j.updateTraits({ [trait]: departDate });

    // false at once when the booking is less than 7 days before departure: then it goes out now.
    await j.sleepUntil(departDate, { offset: PRE_TRIP_OFFSET, localTime: PRE_TRIP_TIME });
    j.step('pre-trip');
    const departure = resolveWakeTime(departDate, { localTime: PRE_TRIP_TIME }, j.timezone());
    const daysToGo = Math.max(0, Math.round((departure.getTime() - j.now().getTime()) / DAY));
    await j.send(
      ['sms', 'email'],
      'travel-intent/pre-trip',
      { bookingId, destination, guide: destinationKey(destination), departDate, departDateText: longDate(departDate), daysToGo },
      { topic: 'transactional' },
    );

    j.step('travelling');
    await j.sleepUntil(dayAfterDeparture);
    await j.updateTraits({ [trait]: null });
  },
});
