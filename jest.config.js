/** Two projects: pure-logic unit specs beside the code, and e2e specs against a real Redis and the simulators. */
const transform = { '^.+\\.ts$': ['ts-jest', {}] };
module.exports = {
  testTimeout: 60000,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'] },
    { displayName: 'e2e', testEnvironment: 'node', transform, testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
