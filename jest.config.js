// Two projects: unit tests (pure logic, no servers) and integration tests (real Temporal servers, real SMTP).
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };

module.exports = {
  // A global option (jest ignores it inside a project): integration tests start real servers.
  testTimeout: 120000,
  // Integration tests mostly wait on servers and timers, so three run side by side even on two cores (the
  // fault suites passed 20 runs in a row at a load average of 9 to 15: docs/reliability.md). With more than
  // one worker Jest also never runs tests inside its own process, so a stray handle left by a test cannot
  // keep `npm test` from exiting.
  maxWorkers: 3,
  // Slowest files first, also on a fresh clone without Jest's cache (docs/testing.md).
  testSequencer: '<rootDir>/test/sequencer.js',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/journeys/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      setupFiles: ['<rootDir>/test/helpers/setupEnv.ts'],
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
  ],
};
