// Pet lifecycle: one run per pet, for the pet's whole life. Messages follow the pet's life stage
// (puppy or kitten, adult, senior — from the birth date, not the adoption date), each at 09:00 in the
// customer's timezone, plus a yearly birthday. A corrected breed or birth date (`pet.updated`) changes
// course without a restart; `pet.deceased` or `pet.rehomed` ends it at once.
import { z } from 'zod';
import { defineJourney } from '../../sdk/journey';
import { offerTopic } from './offers';
import { nextMilestone, stageAt, type Pet } from './stages';

const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const PetAdopted = z.object({
  petId: z.string().min(1),
  name: z.string().min(1),
  species: z.enum(['dog', 'cat']),
  breed: z.string().min(1),
  birthDate: ymd,
});

const PetUpdated = PetAdopted.partial().extend({ petId: z.string().min(1) });

export default defineJourney({
  name: 'pet-lifecycle',
  version: 1,
  description: 'Life-stage care and offers for each pet, from its birth date, until it passes away or is rehomed',
  trigger: { event: 'pet.adopted', schema: PetAdopted, key: (p) => p.petId },
  exitOn: [
    { event: 'pet.deceased', match: 'petId' },
    { event: 'pet.rehomed', match: 'petId' },
  ],
  waits: ['pet.updated'],
  async run(j) {
    let pet: Pet = { ...j.entry.properties };
    const sent = new Set<string>();
    const about = () => ({ ...pet, stage: stageAt(pet, j.now()) });

    await j.send('email', `pet-lifecycle/${stageAt(pet, j.now())}-welcome`, about(), { step: stageAt(pet, j.now()) });

    for (;;) {
      const next = nextMilestone(pet, j.now(), sent, j.timezone());
      if (!next) return; // past the oldest age we plan for
      // An update that does not parse still wakes the run (the plan is recomputed unchanged), as it always has:
      // a `schema` here would skip it and keep waiting, which live runs did not.
      const update = await j.waitFor('pet.updated', { within: next.wake, match: 'petId' });
      if (update) {
        // A corrected breed or birth date: recompute the plan (already-sent milestones stay sent).
        const parsed = PetUpdated.safeParse(update.properties);
        if (parsed.success) pet = { ...pet, ...parsed.data };
        j.step(stageAt(pet, j.now()));
        continue;
      }
      sent.add(next.id);
      await j.send('email', `pet-lifecycle/${next.stage}-${offerTopic(next.topic, pet.breed)}`, about(), { step: next.stage });
    }
  },
});
