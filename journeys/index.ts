// Every journey the engine runs. Add a new journey file here (order does not matter).
import type { AnyJourney } from '../sdk/journey';
import abandonedCart from './abandonedCart';
import giftOrSelf from './giftOrSelf';
import petCondolence from './petCondolence';
import petLifecycle from './petLifecycle';
import replenishment from './replenishment';
import travelIntent from './travelIntent';
import travelPreTrip from './travelPreTrip';
import warranty from './warranty';
import welcome from './welcome';
import winBack from './winBack';

export const journeys: AnyJourney[] = [
  welcome,
  abandonedCart,
  petLifecycle,
  petCondolence,
  giftOrSelf,
  replenishment,
  warranty,
  travelIntent,
  travelPreTrip,
  winBack,
] as unknown as AnyJourney[];

export function getJourney(name: string): AnyJourney | undefined {
  return journeys.find((j) => j.name === name);
}
