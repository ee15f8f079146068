import type { Lab } from './lab';
import type { LabRunRequest } from './lab-run';
import type { ReplayChunk, ReplayOpenRequest } from './plot-replay';
import type { BenchmarkRequest } from './run-benchmark';
import type { LabTestRequest } from './test-run';

/** The lab's methods as its worker thread serves them (workers/lab-thread.ts); the host calls them through lib/lab-host/lab-host.ts. */
export function labMethods(lab: Lab) {
  return {
    run: (request: LabRunRequest) => lab.run(request),
    debug: (request: LabRunRequest) => lab.debug(request),
    benchmark: (request: BenchmarkRequest) => lab.benchmark(request),
    runTests: (request: LabTestRequest) => lab.runTests(request),
    openSession: (id: string, request: Parameters<Lab['openSession']>[1]) => lab.openSession(id, request),
    runSession: async (id: string, request: Parameters<Lab['runSession']>[1]) => lab.runSession(id, request),
    closeSession: async (id: string) => lab.closeSession(id),
    openReplay: (id: string, request: ReplayOpenRequest) => lab.openReplay(id, request),
    feedReplay: async (id: string, chunk: ReplayChunk) => lab.feedReplay(id, chunk),
    finishReplay: async (id: string) => lab.finishReplay(id),
    closeReplay: async (id: string) => lab.closeReplay(id),
  };
}

export type LabMethods = ReturnType<typeof labMethods>;
