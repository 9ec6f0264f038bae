// Search attributes operators use in the Temporal UI ("CustomerId = '42'", "JourneyStep = 'reminder-1'").
// `npm start`, the tests and `simulate` register them (see worker/searchAttributes.ts).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CUSTOMER_ID = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const JOURNEY_NAME = defineSearchAttributeKey('JourneyName', SearchAttributeType.KEYWORD);
export const JOURNEY_STEP = defineSearchAttributeKey('JourneyStep', SearchAttributeType.KEYWORD);
export const JOURNEY_VERSION = defineSearchAttributeKey('JourneyVersion', SearchAttributeType.INT);

/** HMAC of the customer's phone number (domain/lookup.ts): routes inbound SMS without storing the number. */
export const PHONE_LOOKUP = defineSearchAttributeKey('PhoneLookup', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [CUSTOMER_ID, JOURNEY_NAME, JOURNEY_STEP, JOURNEY_VERSION, PHONE_LOOKUP];
