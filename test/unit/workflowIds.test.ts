// Journey workflow IDs (issue 14, point 6): no two (journey, customer, key) share one, and plain IDs read as
// they always did. Customer `carol:x` with cart `c1` and customer `carol` with cart `x:c1` were both
// `journey:abandoned-cart:carol:x:c1`, and the second journey never started.
import { customerWorkflowId, journeyWorkflowId, legacyJourneyWorkflowId, workflowIdPart } from '../../domain/messages';

/** Reads an ID back into its parts: if this recovers every tuple, no two tuples can share an ID. */
function parts(id: string): { journey: string; customerId: string; key?: string; overlap?: number } | undefined {
  const m = /^journey:([^:#]*):([^:#]*)(?::([^:#]*))?(?:#(\d+))?$/.exec(id);
  if (!m) return undefined;
  const decode = (p: string) => p.replace(/%(25|3A|23)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return { journey: decode(m[1]), customerId: decode(m[2]), ...(m[3] !== undefined ? { key: decode(m[3]) } : {}), ...(m[4] ? { overlap: Number(m[4]) } : {}) };
}

test('the two carts of issue 14 get two IDs (they shared one before)', () => {
  const carolX = journeyWorkflowId('abandoned-cart', 'carol:x', 'c1');
  const carol = journeyWorkflowId('abandoned-cart', 'carol', 'x:c1');
  expect(carolX).toBe('journey:abandoned-cart:carol%3Ax:c1');
  expect(carol).toBe('journey:abandoned-cart:carol:x%3Ac1');
  expect(carolX).not.toBe(carol);
  expect(legacyJourneyWorkflowId('abandoned-cart', 'carol:x', 'c1')).toBe(legacyJourneyWorkflowId('abandoned-cart', 'carol', 'x:c1'));
});

test('plain IDs are unchanged: the same as before, and as the shipped tests and histories name them', () => {
  for (const [journey, customer, key] of [
    ['welcome', 'ada', undefined],
    ['abandoned-cart', 'carla', 'A'],
    ['replenishment', 'lena', 'o-1'],
    ['travel-pre-trip', 'ravi', 'BK-1'],
    ['pet-lifecycle', 'cus_42', 'pet/7.b'],
    ['welcome', 'user@example.com', undefined],
    ['warranty', 'Ünïcødé 名前', 'tv 1'],
  ] as Array<[string, string, string | undefined]>) {
    expect(journeyWorkflowId(journey, customer, key)).toBe(legacyJourneyWorkflowId(journey, customer, key));
  }
  expect(journeyWorkflowId('abandoned-cart', 'carla', 'A')).toBe('journey:abandoned-cart:carla:A');
  expect(journeyWorkflowId('welcome', 'ada')).toBe('journey:welcome:ada');
});

test('`%`, `:` and `#` are encoded, so an encoded part cannot pose as another or as an overlap number', () => {
  expect(workflowIdPart('a%3Ab')).toBe('a%253Ab'); // a customer whose id already looks encoded
  expect(workflowIdPart('c1#2')).toBe('c1%232');
  // The key `c1#2` and the second overlapping run of the key `c1` (an `always` journey) were one ID.
  expect(journeyWorkflowId('always', 'ava', 'c1#2')).not.toBe(`${journeyWorkflowId('always', 'ava', 'c1')}#2`);
  // A key given and no key.
  expect(journeyWorkflowId('j', 'a:b')).not.toBe(journeyWorkflowId('j', 'a', 'b'));
});

test('every tuple reads back from its ID, so none share one (including ids that are only separators)', () => {
  const pieces = ['', ':', '%', '#', '%3A', '%25', 'x', 'x:', ':x', 'a#1', '#1', 'a%', '::', 'é:%'];
  const seen = new Map<string, string>();
  for (const customer of pieces.filter((p) => p !== '')) {
    for (const key of [undefined, ...pieces]) {
      const tuple = JSON.stringify([customer, key]);
      const id = journeyWorkflowId('abandoned-cart', customer, key);
      expect(parts(id)).toEqual({ journey: 'abandoned-cart', customerId: customer, ...(key !== undefined ? { key } : {}) });
      expect(parts(`${id}#3`)).toMatchObject({ overlap: 3 });
      expect(seen.get(id) ?? tuple).toBe(tuple);
      seen.set(id, tuple);
    }
  }
  expect(seen.size).toBe(13 * 15);
});

test('customer workflow IDs are one part after a fixed prefix: left as they are (live customers keep their workflow)', () => {
  expect(customerWorkflowId('carol:x')).toBe('customer:carol:x');
  expect(customerWorkflowId('carol')).not.toBe(customerWorkflowId('carol:x'));
});
