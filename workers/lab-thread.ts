import { workerData } from 'node:worker_threads';
import { Lab } from '../lib/lab/lab';
import { labMethods } from '../lib/lab/lab-methods';
import type { SandboxLimits } from '../lib/sandbox/script-sandbox';
import { serveInThread } from '../lib/threads/thread-rpc';

// Editor runs (validate, calculate, debug, benchmark) in a thread of their own.
const limits = (workerData as { limits: SandboxLimits }).limits;
serveInThread(labMethods(new Lab(limits)));
