import { describe, expect, it } from 'vitest';
import type { ReplayChunk, ReplayProgress } from '../lab/plot-replay';
import { driveReplay, type ReplayBackend } from './lab-host';

/**
 * driveReplay with a backfill's `onChunk`: while `ahead()` answers true (the API is idle) the lab
 * evaluates chunk n + 1 while chunk n is handled (written), never more than one ahead; while it
 * answers false (a request is under way) chunk n + 1 waits for chunk n's handling. The handling is
 * in order and one at a time either way; a stop drops the chunk evaluated ahead, a failure of the
 * handling ends the replay.
 */

const always = () => true;

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
    const result = await driveReplay(fakeLab(events), {} as never, chunks(4), slowHandler(events), always);
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
    const result = await driveReplay(fakeLab(events), {} as never, chunks(6), slowHandler(events, (index) => index !== 1), always);
    expect(result.ok).toBe(true);
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1']);
    expect(events).toContain('evaluated 2');
    expect(events).not.toContain('feed 3');
    expect(events.at(-1)).toBe('finish');
  });

  it('hands over the chunk the lab stopped at, then no other', async () => {
    const events: string[] = [];
    const result = await driveReplay(fakeLab(events, 2), {} as never, chunks(6), slowHandler(events), always);
    expect(result.ok).toBe(true);
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1', 'handle 2']);
    expect(events).not.toContain('feed 4');
  });

  it('fails with the handling’s error and frees the replay in the lab', async () => {
    const events: string[] = [];
    const replay = driveReplay(fakeLab(events), {} as never, chunks(6), slowHandler(events, (index) => (index === 1 ? new Error('the history store is down') : true)), always);
    await expect(replay).rejects.toThrow('the history store is down');
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1']);
    expect(events.at(-1)).toBe('close');
    expect(events).not.toContain('finish');
  });

  it('evaluates one chunk at a time while ahead() answers false (a request under way)', async () => {
    const events: string[] = [];
    const result = await driveReplay(fakeLab(events), {} as never, chunks(4), slowHandler(events), () => false);
    expect(result.ok).toBe(true);
    for (let index = 0; index < 3; index++) expect(events.indexOf(`feed ${index + 1}`)).toBeGreaterThan(events.indexOf(`handled ${index}`));
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1', 'handle 2', 'handle 3']);
    expect(events.indexOf('finish')).toBeGreaterThan(events.indexOf('handled 3'));
  });

  it('asks ahead() at each chunk: looks ahead while idle, one at a time from the chunk where it answers false, ahead again after', async () => {
    const events: string[] = [];
    let asked = 0;
    // The API is busy when chunks 1 and 2 come back from the lab, idle otherwise.
    const ahead = () => {
      const index = asked++;
      return index !== 1 && index !== 2;
    };
    const result = await driveReplay(fakeLab(events), {} as never, chunks(5), slowHandler(events), ahead);
    expect(result.ok).toBe(true);
    expect(events.indexOf('feed 1')).toBeLessThan(events.indexOf('handled 0'));
    expect(events.indexOf('feed 2')).toBeGreaterThan(events.indexOf('handled 1'));
    expect(events.indexOf('feed 3')).toBeGreaterThan(events.indexOf('handled 2'));
    expect(events.indexOf('feed 4')).toBeLessThan(events.indexOf('handled 3'));
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1', 'handle 2', 'handle 3', 'handle 4']);
  });

  it('one at a time stops after the chunk whose handling answers false, the next chunk never fed', async () => {
    const events: string[] = [];
    const result = await driveReplay(fakeLab(events), {} as never, chunks(6), slowHandler(events, (index) => index !== 1), () => false);
    expect(result.ok).toBe(true);
    expect(events.filter((event) => event.startsWith('handle '))).toEqual(['handle 0', 'handle 1']);
    expect(events).not.toContain('feed 2');
    expect(events.at(-1)).toBe('finish');
  });

  it('without onChunk (the plot) stops at the chunk the lab stopped at', async () => {
    const events: string[] = [];
    const result = await driveReplay(fakeLab(events, 1), {} as never, chunks(6));
    expect(result.ok).toBe(true);
    expect(events).not.toContain('feed 3');
    expect(events.at(-1)).toBe('finish');
  });
});
