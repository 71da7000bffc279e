import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // Tables print local time: pin the zone so expectations hold on any machine (test/cli/time.test.ts
    // changes it on purpose).
    env: { TZ: 'UTC' },
    // A temporary directory per run, removed at its end (test/helpers/temp-root.ts).
    globalSetup: ['test/helpers/temp-root.ts'],
  },
});
