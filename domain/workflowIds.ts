// The workflow IDs of the two workflows, pure (domain/routing.ts and its unit tests use them without Temporal).
// Clients import them through domain/messages.ts, with the signals and queries.

/** One part after a fixed prefix, so no two customers share it. Not encoded like journey IDs: that would move
 *  every live customer whose id has a `:` to a new, empty workflow. */
export const customerWorkflowId = (customerId: string): string => `customer:${customerId}`;

/** One part of a journey workflow ID with `%`, `:` and `#` percent-encoded, so a part cannot run into the next
 *  (customer `carol:x` with cart `c1` and customer `carol` with cart `x:c1` were one ID) or into the `#<n>` of
 *  an overlapping run. A part without them is unchanged, so plain IDs keep their readable form. */
export const workflowIdPart = (part: string): string => part.replace(/[%:#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `journey:<name>:<customerId>[:<key>]`, each part encoded (workflowIdPart); an overlapping run of an
 *  `always` journey adds `#<n>`. */
export const journeyWorkflowId = (journey: string, customerId: string, key?: string): string =>
  `journey:${workflowIdPart(journey)}:${workflowIdPart(customerId)}${key !== undefined ? `:${workflowIdPart(key)}` : ''}`;

/** The ID journeys got before their parts were encoded. Runs started then keep it: the customer workflow finds
 *  them by it and starts new runs under journeyWorkflowId behind a patch (domain/routing.ts `decideEntry`). */
export const legacyJourneyWorkflowId = (journey: string, customerId: string, key?: string): string =>
  `journey:${journey}:${customerId}${key !== undefined ? `:${key}` : ''}`;
