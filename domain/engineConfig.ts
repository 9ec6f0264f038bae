// Per-deployment settings the workflows receive in their input (workflows never read the environment).
import type { DeliveryPolicyConfig } from './deliveryPolicy';
import { DEFAULT_POLICY } from './deliveryPolicy';

export interface EngineConfig {
  policy: DeliveryPolicyConfig;
  /**
   * Engine time = server time − clockOffsetMs. 0 in production; `simulate` sets it so a scenario that
   * starts in the past runs on the time-skipping server, whose clock starts at the real now.
   */
  clockOffsetMs: number;
  /** Continue-as-new once the customer workflow's history has this many events. */
  continueAsNewAfter: number;
  /** Secret of the PhoneLookup search attribute (HMAC of the phone number). */
  lookupSecret: string;
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  policy: DEFAULT_POLICY,
  clockOffsetMs: 0,
  continueAsNewAfter: 5000,
  lookupSecret: 'omnijourney-dev-lookup-secret',
};
