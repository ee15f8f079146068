import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../support/logger';
import type { InputBatch } from '../../ports/bus';
import type { OutputValue, TagValue } from '../../model/tag-value';
import { MemoryBus } from './memory-bus';

const value = (tag: string, n: number): TagValue => ({ tag, value: n, ts: 1_700_000_000_000 + n, quality: 'good' });

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('MemoryBus', () => {
  it('hands everything queued so far to the handler in one batch, capped at the batch size', async () => {
    const bus = new MemoryBus({ logger: silentLogger, maxBatchSize: 4 });
    const batches: TagValue[][] = [];
    // Queue before consuming so the first batch sees all of them.
    await bus.publishRaw([value('A', 1), value('A', 2), value('B', 3)]);
    await bus.publishRaw([value('C', 4), value('C', 5), value('C', 6)]);
    await bus.consume(async (batch) => void batches.push(batch.values));
    await until(() => batches.flat().length === 6);
    expect(batches.map((batch) => batch.length)).toEqual([4, 2]);
    expect(batches.flat().map((v) => v.value)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(bus.counters()).toMatchObject({ messagesIn: 2, valuesIn: 6, rejectedIn: 0, lag: 0 });
    await bus.stop();
  });

  it('delivers one batch at a time: a slow handler makes later values gather into the next batch, in order', async () => {
    const bus = new MemoryBus({ logger: silentLogger });
    const gate = deferred();
    const batches: number[][] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    await bus.consume(async (batch) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      batches.push(batch.values.map((v) => v.value as number));
      if (batches.length === 1) await gate.promise;
      concurrent--;
    });
    await bus.publishRaw([value('A', 1)]);
    await until(() => batches.length === 1);
    // publishRaw never waits for the busy handler.
    for (let n = 2; n <= 50; n++) await bus.publishRaw([value('A', n)]);
    expect(batches.length).toBe(1);
    expect(bus.counters().lag).toBe(49);
    gate.resolve();
    await until(() => batches.flat().length === 50);
    expect(batches).toEqual([[1], Array.from({ length: 49 }, (_, i) => i + 2)]);
    expect(maxConcurrent).toBe(1);
    await bus.stop();
  });

  it('drops and counts values beyond the queue bound instead of growing without limit', async () => {
    const bus = new MemoryBus({ logger: silentLogger, maxQueuedValues: 5 });
    await bus.publishRaw([1, 2, 3].map((n) => value('A', n)));
    await bus.publishRaw([4, 5, 6, 7].map((n) => value('A', n)));
    expect(bus.counters()).toMatchObject({ valuesIn: 5, rejectedIn: 2, lag: 5 });
    const seen: number[] = [];
    await bus.consume(async (batch) => void seen.push(...batch.values.map((v) => v.value as number)));
    await until(() => seen.length === 5);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await bus.stop();
  });

  it('retries a failing batch and then moves on', async () => {
    const bus = new MemoryBus({ logger: silentLogger, retryDelayMs: 1, maxHandlerAttempts: 3 });
    const attempts: number[][] = [];
    await bus.consume(async (batch) => {
      attempts.push(batch.values.map((v) => v.value as number));
      if (batch.values[0].value === 1) throw new Error('engine bug');
    });
    await bus.publishRaw([value('A', 1)]);
    await until(() => attempts.length === 3);
    await bus.publishRaw([value('A', 2)]);
    await until(() => attempts.length === 4);
    expect(attempts).toEqual([[1], [1], [1], [2]]);
    await bus.stop();
  });

  it('notifies output watchers and counts published outputs', async () => {
    const bus = new MemoryBus({ logger: silentLogger });
    const watched: OutputValue[][] = [];
    await bus.watchOutputs((values) => watched.push(values));
    await bus.watchOutputs(() => {
      throw new Error('a broken watcher does not stop the others');
    });
    const output: OutputValue = { ...value('CALC.X', 7), script: { id: 's1', name: 'calc_x', version: 3 } };
    await bus.publishOutputs([output]);
    await bus.publishOutputs([]);
    expect(watched).toEqual([[output]]);
    expect(bus.counters().valuesOut).toBe(1);
    await bus.stop();
  });

  it('stop waits for the batch in hand and delivers nothing after', async () => {
    const bus = new MemoryBus({ logger: silentLogger });
    const gate = deferred();
    const handled: number[] = [];
    let heartbeat: InputBatch['heartbeat'] | null = null;
    await bus.consume(async (batch) => {
      heartbeat = batch.heartbeat;
      await gate.promise;
      handled.push(...batch.values.map((v) => v.value as number));
    });
    await bus.publishRaw([value('A', 1)]);
    await until(() => heartbeat !== null);
    await heartbeat!();
    let stopped = false;
    const stopping = bus.stop().then(() => (stopped = true));
    await bus.publishRaw([value('A', 2)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(handled).toEqual([1]);
  });

  it('stop gives up on a handler that never finishes after its timeout', async () => {
    const bus = new MemoryBus({ logger: silentLogger, stopTimeoutMs: 50 });
    let started = false;
    await bus.consume(() => {
      started = true;
      return new Promise(() => {});
    });
    await bus.publishRaw([value('A', 1)]);
    await until(() => started);
    const began = Date.now();
    await bus.stop();
    expect(Date.now() - began).toBeLessThan(2_000);
  });
});
