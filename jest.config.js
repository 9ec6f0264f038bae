// Two projects: unit tests (pure logic, no servers) and integration tests (real Temporal servers, real SMTP).
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };

module.exports = {
  // A global option (jest ignores it inside a project): integration tests start real servers.
  testTimeout: 120000,
  // Integration tests mostly wait on servers and timers, so two run side by side even on two cores. With
  // more than one worker Jest also never runs tests inside its own process, so a stray handle left by a
  // test cannot keep `npm test` from exiting.
  maxWorkers: 2,
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
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
  ],
};
