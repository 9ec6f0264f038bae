// The travel-intent journey's decisions, on the in-memory driver (testkit/testJourney.ts).
import travelIntent from '../../../journeys/travelIntent';
import { testJourney } from '../../../testkit/testJourney';

const view = (destination: string, category = 'destination') => ({ name: 'page.viewed', properties: { category, destination } });
const lisbon = { category: 'destination', destination: 'Lisbon' };
const at = (days: number, e: { name: string; properties: Record<string, unknown> }) => ({ at: `${days} days`, ...e });

describe('travel-intent', () => {
  test('three views of one destination within 14 days: one inspiration email two hours after the third', async () => {
    const r = await testJourney(travelIntent, { entry: lisbon, events: [at(3, view('Lisbon')), at(9, view('Lisbon'))] });
    expect(r.key).toBe('lisbon');
    expect(r.messages).toEqual([
      expect.objectContaining({
        at: '2026-01-14T11:00:00.000Z',
        channels: ['email'],
        template: 'travel-intent/inspiration',
        topic: 'marketing',
        data: { destination: 'Lisbon', guide: 'lisbon', views: 3 },
      }),
    ]);
    expect(r.steps.map((s) => s.step)).toEqual(['browsing', 'interested', 'inspiration', 'resting']);
  });

  test('inspired once: more views afterwards send nothing more', async () => {
    const r = await testJourney(travelIntent, {
      entry: lisbon,
      events: [1, 2, 3, 4, 5, 6, 30, 31, 32].map((d) => at(d, view('Lisbon'))),
    });
    expect(r.sent).toEqual(['travel-intent/inspiration']);
    expect(r.outcome).toBe('completed');
  });

  test('two views in 14 days end quietly when the window runs out', async () => {
    const r = await testJourney(travelIntent, { entry: lisbon, events: [at(5, view('Lisbon'))] });
    expect(r).toMatchObject({ outcome: 'completed', messages: [] });
    // The window slides from the first view (day 14) to the second (day 19); then nothing is left.
    expect(r.endedAt).toBe('2026-01-24T09:00:00.000Z');
    expect(r.steps.at(-1)?.step).toBe('interest-faded');
  });

  test('the 14 days slide: views on days 0, 10, 20 are never three in one window; a fourth on day 22 makes 10, 20, 22', async () => {
    const three = await testJourney(travelIntent, { entry: lisbon, events: [at(10, view('Lisbon')), at(20, view('Lisbon'))] });
    expect(three.messages).toEqual([]);
    const four = await testJourney(travelIntent, { entry: lisbon, events: [at(10, view('Lisbon')), at(20, view('Lisbon')), at(22, view('Lisbon'))] });
    expect(four.messages.map((m) => m.at)).toEqual(['2026-01-27T11:00:00.000Z']);
  });

  test('views of other destinations or other page categories do not count', async () => {
    const r = await testJourney(travelIntent, {
      entry: lisbon,
      events: [
        at(1, view('Porto')),
        at(2, view('Lisbon', 'deals')),
        at(3, { name: 'page.viewed', properties: { category: 'destination' } }),
        at(4, view('Lisbon')),
      ],
    });
    expect(r.messages).toEqual([]);
  });

  test('spelling does not split a destination: " new york " and "New York" are one key', async () => {
    const r = await testJourney(travelIntent, {
      entry: { category: 'destination', destination: ' new york ' },
      events: [at(1, view('New York')), at(2, view('NEW  YORK'))],
    });
    expect(r.key).toBe('new-york');
    expect(r.sent).toEqual(['travel-intent/inspiration']);
  });

  test('no inspiration once booked: a booking before the third view, or in the two hours after it, ends the run', async () => {
    const before = await testJourney(travelIntent, {
      entry: lisbon,
      events: [
        at(3, view('Lisbon')),
        at(5, { name: 'booking.completed', properties: { bookingId: 'B-1', destination: 'lisbon', departDate: '2026-04-01' } }),
        at(6, view('Lisbon')),
      ],
    });
    expect(before).toMatchObject({ outcome: 'exited', reason: 'booking.completed', messages: [] });

    const during = await testJourney(travelIntent, {
      entry: lisbon,
      events: [
        at(1, view('Lisbon')),
        at(2, view('Lisbon')),
        { at: '2 days 1 hour', name: 'booking.completed', properties: { bookingId: 'B-2', destination: 'Lisbon', departDate: '2026-04-01' } },
      ],
    });
    expect(during).toMatchObject({ outcome: 'exited', messages: [] });
  });

  test('a booking for another destination does not end it', async () => {
    const r = await testJourney(travelIntent, {
      entry: lisbon,
      events: [
        at(1, { name: 'booking.completed', properties: { bookingId: 'B-3', destination: 'Kyoto', departDate: '2026-04-01' } }),
        at(2, view('Lisbon')),
        at(3, view('Lisbon')),
      ],
    });
    expect(r.sent).toEqual(['travel-intent/inspiration']);
  });

  test('other page views are normal traffic: not entered, never rejected; a booked destination starts nothing', async () => {
    expect(await testJourney(travelIntent, { entry: { category: 'deals', destination: 'Lisbon' } })).toMatchObject({ outcome: 'not-entered' });
    expect(await testJourney(travelIntent, { entry: { path: '/' } as never })).toMatchObject({ outcome: 'not-entered' });
    expect(await testJourney(travelIntent, { entry: { category: 5, destination: ['x'] } as never })).toMatchObject({ outcome: 'not-entered' });
    expect(await testJourney(travelIntent, { entry: lisbon, traits: { 'upcomingTrip:lisbon': '2026-04-01' } })).toMatchObject({ outcome: 'not-entered' });
    expect(await testJourney(travelIntent, { entry: lisbon, traits: { 'upcomingTrip:kyoto': '2026-04-01' } })).toMatchObject({ outcome: 'completed' });
  });
});
