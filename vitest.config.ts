import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    // oclif writes through process.stdout; vitest's console interception would swallow it (oclif/test#655).
    disableConsoleIntercept: true,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share one Docker engine and one Postgres on a 2-core machine.
    fileParallelism: process.env.DEZC_TEST_PARALLEL === '1',
    env: {
      NODE_ENV: 'test',
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      DEZC_SKIP_NEW_VERSION_CHECK: 'true',
      OCLIF_DISABLE_ENGINE_WARNING: 'true',
    },
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
  },
})
