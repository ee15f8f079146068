import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

/**
 * A diagnostic of where values wait on their way through the app (PIPELINE_TRACE_FILE=path; off
 * otherwise, then every call is one branch). Each stage records a value's age — now minus its event
 * time, which a latency bench sets to its send time — and every 5 s the file gets each stage's
 * p50/p99/max, the main thread's event-loop delay and its GC pauses over those 5 s.
 */
class StageTrace {
  private readonly ages = new Map<string, number[]>();
  private readonly loop = monitorEventLoopDelay({ resolution: 5 });
  private gcMs: number[] = [];

  constructor(private readonly file: string) {
    this.loop.enable();
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.gcMs.push(entry.duration);
        // 1 scavenge, 2 mark-compact, 4 incremental marking, 8 weak callbacks
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
        this.ms(`gc kind ${kind}`, entry.duration);
      }
    }).observe({ entryTypes: ['gc'] });
    setInterval(() => this.flush(), 5000).unref();
  }

  age(stage: string, ts: number): void {
    this.ms(stage, Date.now() - ts);
  }

  ms(stage: string, ms: number): void {
    let list = this.ages.get(stage);
    if (!list) this.ages.set(stage, (list = []));
    list.push(ms);
  }

  private flush(): void {
    const lines = [`${new Date().toISOString()} loop p50 ${(this.loop.percentile(50) / 1e6).toFixed(1)} p99 ${(this.loop.percentile(99) / 1e6).toFixed(1)} max ${(this.loop.max / 1e6).toFixed(1)} ms; gc ${this.gcMs.length} pauses, sum ${sum(this.gcMs).toFixed(0)} ms, max ${Math.max(0, ...this.gcMs).toFixed(1)} ms`];
    for (const [stage, list] of this.ages) {
      if (list.length === 0) continue;
      const sorted = Float64Array.from(list).sort();
      const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1);
      lines.push(`  ${stage.padEnd(22)} n ${String(sorted.length).padStart(6)} p50 ${at(50).padStart(7)} p90 ${at(90).padStart(7)} p99 ${at(99).padStart(7)} max ${sorted[sorted.length - 1].toFixed(1).padStart(7)}`);
      list.length = 0;
    }
    this.loop.reset();
    this.gcMs = [];
    appendFileSync(this.file, lines.join('\n') + '\n');
  }
}

function sum(list: number[]): number {
  let total = 0;
  for (const value of list) total += value;
  return total;
}

const file = process.env.PIPELINE_TRACE_FILE;
/** Null unless PIPELINE_TRACE_FILE is set (main thread only). */
export const stageTrace: StageTrace | null = file && isMainThread ? new StageTrace(file) : null;
