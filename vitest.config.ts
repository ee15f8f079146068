import { defineConfig } from 'vitest/config';

// Two layers: unit tests beside the code, integration tests against a running app or real services.
// Threads, not forks: QuickJS runs in WebAssembly and needs the deeper native stack of a worker thread
// (the sandbox bounds QuickJS's own stack well below it).
// Suites that load @confluentinc/kafka-javascript (KAFKA_CLIENT=confluent, docs/decisions/0016).
const NATIVE_KAFKA_SUITES = ['tests/integration/kafka-bus.test.ts'];

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
          exclude: NATIVE_KAFKA_SUITES,
          pool: 'threads',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration-native',
          include: NATIVE_KAFKA_SUITES,
          // @confluentinc/kafka-javascript (librdkafka) crashes a process that loads it in a worker
          // thread (confluentinc/confluent-kafka-javascript#290): these suites run in a child process,
          // after the other integration suites.
          pool: 'forks',
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
