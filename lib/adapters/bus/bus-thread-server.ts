import type { MessagePort } from 'node:worker_threads';
import { messageOf } from '../../model/errors';
import { ValuePacker, ValueUnpacker } from '../../model/packed-values';
import { createLogger } from '../../support/logger';
import type { InputBatch } from '../../ports/bus';
import { KafkaBus } from './kafka-bus';
import type { BusThreadData, BusThreadMessage, BusThreadRequest } from './bus-thread-protocol';

const STATUS_INTERVAL_MS = 1_000;

/**
 * Inside the bus thread (workers/bus-thread.ts, BUS_THREAD): the Kafka consumer and producer of a
 * worker, so that kafkajs's protocol work, the JSON decoding of raw values and the encoding of
 * outputs never run on the thread that serves the API. Each decoded slice goes to the main thread as
 * packed lanes; its offsets are committed only once the main thread answers that the slice's outputs
 * were published — which it does through this same thread (`publish`, acks=all). Every guarantee of
 * KafkaBus (slices, DLQ, retries, single-active group, graceful stop) is KafkaBus's own, unchanged.
 */
export function serveBus(port: MessagePort, data: BusThreadData): void {
  const logger = createLogger({ level: data.logLevel, pretty: false }).child({ thread: 'bus' });
  const post = (message: BusThreadMessage, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  const status = () => post({ op: 'status', counters: bus.counters(), active: bus.isActive() });
  const bus = new KafkaBus({ ...data.options, logger, onAssignment: () => status() });
  const inputs = new ValuePacker();
  const outputs = new ValueUnpacker();
  // KafkaBus keeps each batch's consumer session alive itself (this thread's event loop is free).
  const handling = new Map<number, (error?: string) => void>();
  let nextBatch = 1;
  let statusTimer: NodeJS.Timeout | null = null;

  const handler = (batch: InputBatch) =>
    new Promise<void>((resolve, reject) => {
      const id = nextBatch++;
      handling.set(id, (error) => {
        handling.delete(id);
        if (error === undefined) resolve();
        else reject(new Error(error));
      });
      const packed = inputs.pack(batch.values);
      post({ op: 'batch', batch: id, packed, rejected: batch.rejected, counters: bus.counters() }, [packed.buffer]);
    });

  const answer = (id: number, work: Promise<unknown>) =>
    work.then(
      () => post({ op: 'reply', id, counters: bus.counters() }),
      (error: unknown) => post({ op: 'reply', id, error: messageOf(error) }),
    );

  port.on('message', (request: BusThreadRequest) => {
    switch (request.op) {
      case 'consume':
        statusTimer ??= setInterval(status, STATUS_INTERVAL_MS);
        void answer(request.id, bus.consume(handler));
        break;
      case 'publish':
        void answer(request.id, bus.publishOutputMessages(outputs.outputMessages(request.packed)));
        break;
      case 'stop':
        if (statusTimer) clearInterval(statusTimer);
        void answer(
          request.id,
          bus.stop().finally(() => status()),
        );
        break;
      case 'done':
        handling.get(request.batch)?.(request.error);
        break;
    }
  });
}
