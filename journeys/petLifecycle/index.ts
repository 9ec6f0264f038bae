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
const samePet = (e: { properties: Record<string, unknown> }, entry: { properties: Pet }) => e.properties.petId === entry.properties.petId;

export default defineJourney({
  name: 'pet-lifecycle',
  version: 1,
  description: 'Life-stage care and offers for each pet, from its birth date, until it passes away or is rehomed',
  trigger: { event: 'pet.adopted', schema: PetAdopted, key: (p) => p.petId },
  exitOn: [
    { event: 'pet.deceased', match: samePet },
    { event: 'pet.rehomed', match: samePet },
  ],
  async run(j) {
    let pet: Pet = { ...j.entry.properties };
    const sent = new Set<string>();
    const about = () => ({ ...pet, stage: stageAt(pet, j.now()) });

    j.step(stageAt(pet, j.now()));
    await j.send('email', `pet-lifecycle/${stageAt(pet, j.now())}-welcome`, about());

    for (;;) {
      const next = nextMilestone(pet, j.now(), sent, j.timezone());
      if (!next) return; // past the oldest age we plan for
      const waitMs = next.wake.getTime() - j.now().getTime();
      const update = waitMs <= 0 ? null : await j.waitFor('pet.updated', { within: waitMs, match: (e) => e.properties.petId === pet.petId });
      if (update) {
        // A corrected breed or birth date: recompute the plan (already-sent milestones stay sent).
        const parsed = PetUpdated.safeParse(update.properties);
        if (parsed.success) pet = { ...pet, ...parsed.data };
        j.step(stageAt(pet, j.now()));
        continue;
      }
      sent.add(next.id);
      j.step(next.stage);
      await j.send('email', `pet-lifecycle/${next.stage}-${offerTopic(next.topic, pet.breed)}`, about());
    }
  },
});
