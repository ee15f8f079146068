import { PlantSimulator, SIMULATOR_TAGS } from '../adapters/simulator/plant-simulator';
import { messageOf } from '../model/errors';
import type { HistoryRecord } from '../ports/history-store';
import type { TagMeta } from '../model/tag-meta';
import type { AppServices } from './services';

const BACKFILL_MS = 60 * 60 * 1000;
const BACKFILL_DELAY_MS = 3000;

/**
 * Embedded mode's live data: the plant simulator publishes one tick a second to the input bus, as a
 * plant would. On a first start it also fills the last hour of history, so trends are not empty.
 */
export async function startSimulator(
  services: Pick<AppServices, 'bus' | 'history' | 'log'>,
  options: { backfill: boolean },
): Promise<{ stop(): Promise<void> }> {
  const log = services.log.child({ part: 'simulator' });
  const simulator = new PlantSimulator({ onError: (error) => log.warn(`simulator tick not published: ${messageOf(error)}`) });
  const now = Date.now();
  let backfilled: Promise<void> = Promise.resolve();
  if (options.backfill && !(await hasRecentHistory(services, now))) {
    const records: HistoryRecord[] = [];
    for (const tick of simulator.backfill(now - BACKFILL_MS, now)) for (const value of tick) records.push({ ...value, source: 'raw' });
    // Written in the background once the server is up, in small pieces: the embedded database runs on
    // the main thread, and a first start must answer at once.
    backfilled = (async () => {
      await new Promise((resolve) => setTimeout(resolve, BACKFILL_DELAY_MS).unref());
      for (let index = 0; index < records.length; index += 5_000) {
        await services.history.write(records.slice(index, index + 5_000));
        await new Promise((resolve) => setImmediate(resolve));
      }
      log.info(`filled the last hour of history with ${records.length} simulated values`);
    })().catch((error) => log.warn(`history backfill failed: ${messageOf(error)}`));
  }
  simulator.start((values) => services.bus.publishRaw(values));
  log.info(`plant simulator publishing ${SIMULATOR_TAGS.length} tags every second`);
  return {
    async stop() {
      await simulator.stop();
      await backfilled;
    },
  };
}

async function hasRecentHistory(services: Pick<AppServices, 'history'>, now: number): Promise<boolean> {
  try {
    const latest = await services.history.readLatestBefore(SIMULATOR_TAGS[0].tag, now);
    return latest !== null && latest.ts > now - BACKFILL_MS;
  } catch {
    return true; // history unavailable: do not try to fill it
  }
}

/**
 * The simulator's tags carry their metadata: description and unit as the simulator defines them, and
 * as normal range the transmitter's range (min–max; a measured value never leaves it). Discrete tags
 * (run states, the mode) have no unit and no range. Stored once; an entry a user has edited is kept.
 */
export function simulatorTagMeta(): TagMeta[] {
  return SIMULATOR_TAGS.map((tag) => ({
    tag: tag.tag,
    description: tag.description,
    unit: tag.unit === '' ? null : tag.unit,
    lo: tag.min ?? null,
    hi: tag.max ?? null,
  }));
}

export async function seedSimulatorMeta(services: Pick<AppServices, 'tagMeta' | 'log'>): Promise<void> {
  try {
    const added = await services.tagMeta.seedMeta(simulatorTagMeta());
    if (added > 0) services.log.info(`stored the metadata of ${added} simulator tags`);
  } catch (error) {
    services.log.warn(`could not store the simulator's tag metadata: ${messageOf(error)}`);
  }
}
