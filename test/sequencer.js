// Jest runs the slowest test files first, so that no worker is left alone with a long file at the end of the
// run. Jest's own sequencer orders by the durations of the last run on this machine, from its cache; a fresh
// clone (as CI runs it) has none, and Jest then orders by file size, which started the 90-second suites last.
// test/durations.json (seconds per file, from a full run: `npm run test:durations`) stands in for the cache.
const { join, relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const recorded = require('./durations.json');

const root = join(__dirname, '..');
/** A file the list does not know yet (new since it was written): assumed as slow as a middling integration suite. */
const UNKNOWN_SECONDS = 15;

class SlowestFirst extends Sequencer {
  sort(tests) {
    const seconds = (test) => {
      const cached = this.time(test);
      return cached != null ? cached / 1000 : (recorded[relative(root, test.path)] ?? UNKNOWN_SECONDS);
    };
    const failed = (test) => (this.hasFailed(test) ? 1 : 0);
    return [...tests].sort((a, b) => failed(b) - failed(a) || seconds(b) - seconds(a));
  }
}

module.exports = SlowestFirst;
