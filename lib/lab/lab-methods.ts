import { transferring } from '../threads/thread-rpc';
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
    feedReplay: async (id: string, chunk: ReplayChunk) => {
      const progress = lab.feedReplay(id, chunk);
      // Backfill: the published columns move to the host (no copy, no object per value there).
      const buffers = (progress.published ?? []).flatMap((columns) => [columns.ts.buffer, columns.num.buffer, columns.kind.buffer, columns.quality.buffer]);
      return buffers.length > 0 ? transferring(progress, buffers as ArrayBuffer[]) : progress;
    },
    finishReplay: async (id: string) => lab.finishReplay(id),
    closeReplay: async (id: string) => lab.closeReplay(id),
  };
}

export type LabMethods = ReturnType<typeof labMethods>;
