import type { Diagnostic } from '../compiler/diagnostic';
import type { PassResult } from '../engine/engine';
import type { EngineHost } from '../engine/engine-host';
import type { TagCatalog } from '../engine/tag-catalog';
import type { Logger } from '../logger';
import type { Bus, InputBatch } from '../ports/bus';
import type { TagState, TagValue } from '../tags/tag-value';
import type { HistoryWriter } from './history-writer';
import type { AppMetrics } from './metrics';
import type { SnapshotWriter } from './snapshot-writer';

/**
 * How a raw value becomes published outputs:
 *   bus batch → catalog (latest values) + history → engine (worker thread) → changed outputs
 *   → bus (acknowledged) → catalog + history + restart snapshot → the bus commits the batch.
 */
export interface PipelineDeps {
  engine: EngineHost;
  bus: Bus;
  catalog: TagCatalog;
  history: HistoryWriter;
  snapshot: SnapshotWriter;
  metrics: AppMetrics;
  log: Logger;
  onQuarantined(entries: Array<{ id: string; error: Diagnostic }>): void;
}

export class ValuePipeline {
  private tickTimer: NodeJS.Timeout | null = null;
  private ticking = false;

  constructor(private readonly deps: PipelineDeps) {}

  /** The bus's input handler: resolves once the batch's outputs are acknowledged. */
  readonly handleBatch = async (batch: InputBatch): Promise<void> => {
    const { engine, catalog, history, metrics } = this.deps;
    metrics.valuesIn.inc(batch.values.length);
    if (batch.rejected > 0) metrics.valuesRejected.inc(batch.rejected);
    const applied: TagState[] = [];
    for (const value of batch.values) {
      if (catalog.apply(value, 'raw') === 'applied') applied.push(catalog.get(value.tag)!);
    }
    history.add(batch.values.map((value) => ({ ...value, source: 'raw' as const })));

    // Evaluation runs in the engine's thread; keep the consumer's session alive meanwhile.
    const heartbeat = setInterval(() => void batch.heartbeat().catch(() => undefined), 1500);
    const started = performance.now();
    let result: PassResult;
    try {
      result = await engine.ingest(batch.values);
    } finally {
      clearInterval(heartbeat);
    }
    metrics.evaluationLatency.observe((performance.now() - started) / 1000);
    await this.publish(result, applied);
  };

  /** Periodic scripts: checked every 100 ms, evaluated at their tick times. */
  startTicking(intervalMs = 100): void {
    this.tickTimer ??= setInterval(() => void this.tick(), intervalMs);
    this.tickTimer.unref();
  }

  stopTicking(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    // A standby worker has no inputs flowing in: periodic scripts run on the active one only.
    if (this.deps.bus.isActive && !this.deps.bus.isActive()) return;
    this.ticking = true;
    try {
      const result = await this.deps.engine.tick(Date.now());
      if (result.evaluations > 0) await this.publish(result, []);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'periodic evaluation failed');
    } finally {
      this.ticking = false;
    }
  }

  private async publish(result: PassResult, applied: TagState[]): Promise<void> {
    const { bus, catalog, history, snapshot, metrics } = this.deps;
    metrics.evaluations.inc(result.evaluations);
    if (result.failures > 0) metrics.evaluationErrors.inc(result.failures);
    if (result.outputs.length > 0) {
      await bus.publishOutputs(result.outputs);
      metrics.valuesOut.inc(result.outputs.length);
      const outputs: TagValue[] = result.outputs;
      for (const output of outputs) if (catalog.apply(output, 'script') === 'applied') applied.push(catalog.get(output.tag)!);
      history.add(result.outputs.map(({ tag, value, ts, quality }) => ({ tag, value, ts, quality, source: 'script' as const })));
    }
    snapshot.mark(applied);
    if (result.quarantined.length > 0) this.deps.onQuarantined(result.quarantined);
  }
}
