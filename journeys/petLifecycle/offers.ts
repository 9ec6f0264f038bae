// Breed-restricted offers: a partner's product that some breeds cannot have. An excluded breed gets the
// alternative, never the excluded offer. Topics here replace the milestone topic in the template id.
import { normaliseBreed } from './stages';

export interface BreedRestrictedOffer {
  /** Breeds the partner does not cover (lower case). */
  excludedBreeds: string[];
  /** The topic sent instead. */
  alternative: string;
}

export const OFFERS: Record<string, BreedRestrictedOffer> = {
  // The pet-insurance partner does not cover these breeds; they get our own wellness plan instead.
  insurance: {
    excludedBreeds: ['american pit bull terrier', 'rottweiler', 'dogo argentino', 'fila brasileiro', 'tosa inu', 'wolfdog'],
    alternative: 'wellness-plan',
  },
};

/** The topic to send for this breed: the offer, or its alternative when the breed is excluded. */
export function offerTopic(topic: string, breed: string, offers: Record<string, BreedRestrictedOffer> = OFFERS): string {
  const offer = offers[topic];
  return offer && offer.excludedBreeds.includes(normaliseBreed(breed)) ? offer.alternative : topic;
}
