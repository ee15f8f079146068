import { defineConfig } from 'vitest/config';

// Two layers: unit tests beside the code, integration tests against a running app or real services.
// Threads, not forks: QuickJS runs in WebAssembly and needs the deeper native stack of a worker thread
// (the sandbox bounds QuickJS's own stack well below it).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['lib/**/*.test.ts', 'components/**/*.test.ts', 'workers/**/*.test.ts', 'app/**/*.test.ts', 'scripts/**/*.test.ts'],
          pool: 'threads',
          testTimeout: 20_000,
          // Hooks open databases (PGlite runs every migration in WebAssembly): seconds on a quiet
          // machine, more than 10 s on a loaded 2-core one. A hook is never a speed assertion.
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          pool: 'threads',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
