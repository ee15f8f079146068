import { describe, expect, it } from 'vitest';
import { createLogger } from '../support/logger';
import type { ScriptStore } from '../ports/script-store';
import type { TagState } from '../model/tag-value';
import { SnapshotWriter } from './snapshot-writer';

const state = (tag: string, ts: number, value = ts): TagState => ({ tag, value, ts, quality: 'good', source: 'raw' }) as TagState;

function storeThat(saveLatest: (states: TagState[]) => Promise<void>) {
  return { saveLatest } as unknown as ScriptStore;
}

const log = createLogger({ level: 'silent', pretty: false });

describe('SnapshotWriter', () => {
  it('saves a large snapshot in pieces, letting other work run between them', async () => {
    const pieces: number[] = [];
    const between: string[] = [];
    const writer = new SnapshotWriter(
      storeThat(async (states) => {
        pieces.push(states.length);
        between.push('save');
      }),
      log,
      60_000,
      100,
    );
    writer.mark(Array.from({ length: 250 }, (_, i) => state(`T${i}`, 1)));
    // Something else that wants the thread while the snapshot is being saved.
    const other = (async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        between.push('other');
      }
    })();
    await writer.flush();
    await other;
    expect(pieces).toEqual([100, 100, 50]);
    expect(between.indexOf('other')).toBeLessThan(between.lastIndexOf('save'));
  });

  it('keeps the newest state of a tag marked twice, and never goes back to an older one', async () => {
    const saved: TagState[] = [];
    const writer = new SnapshotWriter(storeThat(async (states) => void saved.push(...states)), log);
    writer.mark([state('A', 2, 20)]);
    writer.mark([state('A', 1, 10)]);
    writer.mark([state('B', 5, 50)]);
    await writer.flush();
    expect(saved.map(({ tag, value }) => [tag, value])).toEqual([
      ['A', 20],
      ['B', 50],
    ]);
  });

  it('puts back what a failed save did not store and saves it on the next flush, unless newer arrived', async () => {
    let fail = true;
    const saved: TagState[] = [];
    const writer = new SnapshotWriter(
      storeThat(async (states) => {
        if (fail && states[0].tag === 'T2') throw new Error('database unavailable');
        saved.push(...states);
      }),
      log,
      60_000,
      2,
    );
    writer.mark([state('T0', 1), state('T1', 1), state('T2', 1), state('T3', 1), state('T4', 1)]);
    await writer.flush();
    expect(saved.map((s) => s.tag)).toEqual(['T0', 'T1']);
    writer.mark([state('T3', 9)]);
    fail = false;
    await writer.flush();
    expect(saved.map((s) => [s.tag, s.ts])).toEqual([
      ['T0', 1],
      ['T1', 1],
      ['T2', 1],
      ['T3', 9],
      ['T4', 1],
    ]);
  });
});
