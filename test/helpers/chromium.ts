// Debian's Chromium for the browser tests (preferences.browser, dashboard.browser), driven by playwright-core:
// where it is, a clear failure when it is missing, and the flags both launch it with.
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless on a machine without a GPU or a user profile of its own, and nothing fetched in the background. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails (never skips) with the command to run when Chromium is not installed. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed (${CHROMIUM}), and this browser test needs it. Install it with \`apt-get install chromium\` ` +
        '(as root; `npm test` and `npm run setup` try that for you via toolchain/tools.mjs ensureChromium), then run the test again.',
    );
  }
}
