// The travel-pre-trip journey's decisions, on the in-memory driver (testkit/testJourney.ts).
import travelPreTrip from '../../../journeys/travelPreTrip';
import { testJourney } from '../../../testkit/testJourney';

describe('travel-pre-trip', () => {
  const booking = { bookingId: 'B-1', destination: 'Lisbon', departDate: '2026-03-20' };

  test('the pre-trip message goes out 7 days before departure at 09:00 local, transactional, SMS first', async () => {
    const r = await testJourney(travelPreTrip, { entry: booking, timezone: 'America/New_York' });
    expect(r.key).toBe('B-1');
    expect(r.messages).toEqual([
      expect.objectContaining({
        at: '2026-03-13T13:00:00.000Z', // 09:00 EDT (DST began on 8 March)
        channels: ['sms', 'email'],
        template: 'travel-intent/pre-trip',
        topic: 'transactional',
        data: { bookingId: 'B-1', destination: 'Lisbon', guide: 'lisbon', departDate: '2026-03-20', departDateText: '20 March 2026', daysToGo: 7 },
      }),
    ]);
  });

  test('the trip is on the profile until the day after departure, so travel-intent leaves that destination alone', async () => {
    const r = await testJourney(travelPreTrip, { entry: booking });
    expect(r.log.filter((l) => l.includes('traits'))).toEqual([
      '2026-01-05T09:00:00.000Z  traits {"upcomingTrip:lisbon":"2026-03-20"}',
      '2026-03-21T00:00:00.000Z  traits {"upcomingTrip:lisbon":null}',
    ]);
    expect(r.endedAt).toBe('2026-03-21T00:00:00.000Z');
  });

  test('departure in less than 7 days: sent at once', async () => {
    const r = await testJourney(travelPreTrip, { entry: { ...booking, departDate: '2026-01-08' } });
    expect(r.messages.map((m) => [m.at, m.data.daysToGo])).toEqual([['2026-01-05T09:00:00.000Z', 3]]);
  });

  test('a booking whose departure day is over sends nothing and sets no trait', async () => {
    const r = await testJourney(travelPreTrip, { entry: { ...booking, departDate: '2026-01-04' } });
    expect(r).toMatchObject({ outcome: 'completed', messages: [], traits: {} });
  });

  test('a booking without a departure date is rejected', async () => {
    expect((await testJourney(travelPreTrip, { entry: { bookingId: 'B-9', destination: 'Lisbon' } as never })).outcome).toBe('rejected');
  });
});
