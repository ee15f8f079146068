import { Lab } from '../lab/lab';
import { labMethods } from '../lab/lab-methods';
import type { SandboxLimits } from '../sandbox/script-sandbox';
import { DebugSessions } from './debug-sessions';
import { DEFAULT_LAB_OPTIONS, driveReplay, type LabHost, type LabHostOptions } from './lab-host';

/** The lab in the calling thread (tests, tools). */
export function inProcessLab(limits: SandboxLimits, options: LabHostOptions = DEFAULT_LAB_OPTIONS): LabHost {
  const lab = new Lab(limits);
  const methods = labMethods(lab);
  const sessions = new DebugSessions(methods, { ttlMs: options.sessionTtlMs, maxSessions: options.maxSessions, clock: options.clock, sweepIntervalMs: options.sweepIntervalMs });
  sessions.start();
  return {
    run: methods.run,
    debug: methods.debug,
    benchmark: methods.benchmark,
    runTests: methods.runTests,
    replay: (request, chunks, onChunk) => driveReplay(methods, request, chunks, onChunk),
    sessions,
    close: async () => {
      await sessions.closeAll();
      lab.dispose();
    },
  };
}
