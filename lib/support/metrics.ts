import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of /api/metrics, in a registry of their own. */
export class AppMetrics {
  readonly registry = new Registry();
  readonly evaluations = new Counter({ name: 'script_server_evaluations_total', help: 'Script evaluations', registers: [this.registry] });
  readonly evaluationErrors = new Counter({
    name: 'script_server_evaluation_errors_total',
    help: 'Script evaluations that failed (threw, timed out, ran out of memory or produced an invalid output)',
    registers: [this.registry],
  });
  readonly quarantined = new Gauge({ name: 'script_server_quarantined_scripts', help: 'Scripts quarantined after repeated failures', registers: [this.registry] });
  readonly registered = new Gauge({ name: 'script_server_registered_scripts', help: 'Scripts loaded in the engine', registers: [this.registry] });
  readonly consumerLag = new Gauge({ name: 'script_server_consumer_lag', help: 'Input messages not yet consumed', registers: [this.registry] });
  readonly valuesIn = new Counter({ name: 'script_server_values_in_total', help: 'Raw values received', registers: [this.registry] });
  readonly valuesRejected = new Counter({ name: 'script_server_values_rejected_total', help: 'Input messages or elements rejected as undecodable', registers: [this.registry] });
  readonly valuesOut = new Counter({ name: 'script_server_values_out_total', help: 'Computed values published', registers: [this.registry] });
  readonly evaluationLatency = new Histogram({
    name: 'script_server_evaluation_latency_seconds',
    help: 'Time of one engine pass: the raw values received meanwhile, every script they trigger',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Records waiting to be written to history (grows while the history store is down or behind). */
  readonly historyPending: Gauge = new Gauge({
    name: 'script_server_history_pending',
    help: 'History records waiting to be written',
    registers: [this.registry],
    collect: (): void => this.historyPending.set(this.pendingHistory()),
  });
  private pendingHistory: () => number = () => 0;

  /** Where the history gauge reads its figure (the running history writer). */
  followHistory(pending: () => number): void {
    this.pendingHistory = pending;
  }

  constructor() {
    // The process's own figures (CPU, memory, GC, event-loop delay: nodejs_eventloop_lag_*_seconds,
    // measured between two scrapes), so an operator can tell a busy process from a slow script.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
