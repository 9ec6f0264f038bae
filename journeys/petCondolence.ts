// One transactional condolence when a pet dies (at most one per pet). The pet-lifecycle run for that
// pet ends on the same event and sends nothing more.
import { z } from 'zod';
import { defineJourney } from '../sdk/journey';

export default defineJourney({
  name: 'pet-condolence',
  version: 1,
  description: 'A single condolence note when a pet passes away',
  trigger: { event: 'pet.deceased', schema: z.object({ petId: z.string().min(1), name: z.string().optional() }), key: (p) => p.petId },
  reentry: 'never',
  waits: [],
  async run(j) {
    j.step('condolence');
    await j.send('email', 'pet-condolence/message', { name: j.entry.properties.name }, { topic: 'transactional' });
  },
});
