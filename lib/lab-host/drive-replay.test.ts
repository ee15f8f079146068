import { describe, expect, it } from 'vitest';
import type { ReplayChunk, ReplayProgress } from '../lab/plot-replay';
import { driveReplay, type ReplayBackend } from './lab-host';

/**
 * driveReplay with a backfill's `onChunk`: the lab evaluates chunk n + 1 while chunk n is handled
 * (written), never more than one ahead, the handling in order and one at a time; a stop drops the
 * chunk evaluated ahead, a failure of the handling ends the replay.
 */

const chunkOf = (index: number) => ({ times: [index] }) as unknown as ReplayChunk;

async function* chunks(count: number): AsyncIterable<ReplayChunk> {
  for (let index = 0; index < count; index++) yield chunkOf(index);
}

/** A lab whose evaluations take a turn of the event loop; every call is logged. */
function fakeLab(events: string[], stopAt: number | null = null): ReplayBackend {
  let evaluations = 0;
  return {
    openReplay: async () => ({ ok: true }) as never,
    feedReplay: async (_id: string, chunk: ReplayChunk) => {
      const index = (chunk.times as unknown as number[])[0];
      events.push(`feed ${index}`);
      await new Promise((resolve) => setImmediate(resolve));
      evaluations++;
      events.push(`evaluated ${index}`);
      return { evaluations, errors: 0, stopped: index === stopAt, lastStep: index } as ReplayProgress;
    },
    finishReplay: async () => {
      events.push('finish');
      return { evaluations, errors: 0, stopped: false, outputs: [], firstError: null } as never;
    },
    closeReplay: async () => {
      events.push('close');
    },
  };
}

/** An onChunk that takes a few turns (a write) and logs when it starts and ends. */
const slowHandler =
  (events: string[], answer: (index: number) => boolean | Error = () => true) =>
  async (progress: ReplayProgress): Promise<boolean> => {
    const index = progress.lastStep as number;
    events.push(`handle ${index}`);
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    events.push(`handled ${index}`);
    const answered = answer(index);
    if (answered instanceof Error) throw answered;
    return answered;
  };

describe('driveReplay with onChunk (backfill)', () => {
  it('evaluates the next chunk while the last one is handled, the handling in order and one at a time', async () => {
    const events: string[] = [];
    const result = await driveReplay(fakeLab(events), {} as never, chunks(4), slowHandler(events));
    expect(result.ok).toBe(true);
    const handled = events.filter((event) => event.startsWith('handle'));
    expect(handled).toEqual(['handle 0', 'handled 0', 'handle 1', 'handled 1', 'handle 2', 'handled 2', 'handle 3', 'handled 3']);
    // Chunk n + 1 goes to the lab before chunk n's handling ends…
    for (let index = 0; index < 3; index++) expect(events.indexOf(`feed ${index + 1}`)).toBeLessThan(events.indexOf(`handled ${index}`));
    // …but never two ahead: chunk n + 2 waits for chunk n's handling.
    for (let index = 0; index < 2; index++) expect(events.indexOf(`feed ${index + 2}`)).toBeGreaterThan(events.indexOf(`handled ${index}`));
    expect(events.indexOf('finish')).toBeGreaterThan(events.indexOf('handled 3'));
    expect(events).not.toContain('close');
  });

  it('stops after the chunk whose handling answers false: the chunk evaluated ahead is dropped unseen', async () => {
    const events: string[] = [];
    const result = await driveReplay(fakeLab(events), {} as never, chunks(6), slowHandler(events, (index) => index !== 1));
    expect(result.ok).toBe(true);
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1']);
    expect(events).toContain('evaluated 2');
    expect(events).not.toContain('feed 3');
    expect(events.at(-1)).toBe('finish');
  });

  it('hands over the chunk the lab stopped at, then no other', async () => {
    const events: string[] = [];
    const result = await driveReplay(fakeLab(events, 2), {} as never, chunks(6), slowHandler(events));
    expect(result.ok).toBe(true);
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1', 'handle 2']);
    expect(events).not.toContain('feed 4');
  });

  it('fails with the handling’s error and frees the replay in the lab', async () => {
    const events: string[] = [];
    const replay = driveReplay(fakeLab(events), {} as never, chunks(6), slowHandler(events, (index) => (index === 1 ? new Error('the history store is down') : true)));
    await expect(replay).rejects.toThrow('the history store is down');
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1']);
    expect(events.at(-1)).toBe('close');
    expect(events).not.toContain('finish');
  });

  it('without onChunk (the plot) stops at the chunk the lab stopped at', async () => {
    const events: string[] = [];
    const result = await driveReplay(fakeLab(events, 1), {} as never, chunks(6));
    expect(result.ok).toBe(true);
    expect(events).not.toContain('feed 3');
    expect(events.at(-1)).toBe('finish');
  });
});
