import { describe, expect, it } from 'vitest';
import type { OutputValue, Quality, TagScalar, TagState } from '../model/tag-value';
import type { ShadowPass } from '../ports/engine';
import { ShadowBoard } from './shadow-board';

const liveOut = (tag: string, value: TagScalar, ts: number, quality: Quality = 'good'): OutputValue => ({ tag, value, ts, quality, script: { id: 'eff', name: 'eff', version: 1 } });
const shadowOut = (tag: string, value: TagScalar, ts: number, quality: Quality = 'good', version = 2): OutputValue => ({ tag, value, ts, quality, script: { id: 'eff', name: 'eff', version } });
const pass = (outputs: OutputValue[]): ShadowPass => ({ outputs, evaluations: outputs.length, failures: 0, quarantined: [], recovered: [] });

function started(latest: Record<string, TagState> = {}, seriesLimit?: number) {
  const board = new ShadowBoard(seriesLimit);
  board.begin({ shadowId: 'sh1', scriptId: 'eff', version: 2, startedAt: 1, outputTags: ['EFF', 'STATE'] }, (tag) => latest[tag]);
  return board;
}

describe('the shadow comparison', () => {
  it('compares both sides at each triggering timestamp, an unpublished side by its latest value', () => {
    const board = started({ EFF: { tag: 'EFF', value: 3, ts: 500, quality: 'good', source: 'script' } });
    board.record([liveOut('EFF', 3, 1000)], pass([shadowOut('EFF', 3, 1000)])); // equal
    board.record([], pass([shadowOut('EFF', 3.5, 2000)])); // live unchanged (3) vs 3.5
    board.record([liveOut('EFF', 4, 3000)], pass([])); // live 4 vs shadow unchanged 3.5
    expect(board.comparison('eff')!.EFF).toEqual({
      live: { value: 4, ts: 3000, quality: 'good' },
      shadow: { value: 3.5, ts: 2000, quality: 'good' },
      compared: 3,
      differing: 2,
      maxAbsDiff: 0.5,
    });
    expect(board.comparison('eff')!.STATE).toMatchObject({ compared: 0, live: null, shadow: null, maxAbsDiff: null });
  });

  it('does not call rounding a difference, but a different quality or string is one', () => {
    const board = started();
    board.record([liveOut('EFF', 0.1 + 0.2, 1000), liveOut('STATE', 'run', 1000)], pass([shadowOut('EFF', 0.3, 1000), shadowOut('STATE', 'run', 1000)]));
    expect(board.comparison('eff')!.EFF).toMatchObject({ compared: 1, differing: 0 });
    expect(board.comparison('eff')!.STATE).toMatchObject({ compared: 1, differing: 0, maxAbsDiff: null });
    board.record([liveOut('EFF', 0.3, 2000, 'good'), liveOut('STATE', 'run', 2000)], pass([shadowOut('EFF', 0.3, 2000, 'bad'), shadowOut('STATE', 'stop', 2000)]));
    expect(board.comparison('eff')!.EFF).toMatchObject({ compared: 2, differing: 1 });
    expect(board.comparison('eff')!.STATE).toMatchObject({ compared: 2, differing: 1 });
  });

  it('waits for both sides, orders one pass’s values by time, and ignores other scripts and older candidates', () => {
    const board = started();
    board.record([], pass([shadowOut('EFF', 1, 1000)]));
    expect(board.comparison('eff')!.EFF.compared).toBe(0);
    board.record(
      [liveOut('EFF', 2, 3000), liveOut('EFF', 1, 2000), { ...liveOut('EFF', 99, 2000), script: { id: 'other', name: 'other', version: 1 } }],
      pass([shadowOut('EFF', 2, 3000), shadowOut('EFF', 50, 2500, 'good', 1)]),
    );
    expect(board.comparison('eff')!.EFF).toMatchObject({ compared: 2, differing: 0, live: { value: 2 }, shadow: { value: 2 } });
  });

  it('gives the live, shadow and difference series within a period, bounded', () => {
    const board = started({}, 100);
    for (let second = 1; second <= 200; second++) board.record([liveOut('EFF', second, second * 1000)], pass([shadowOut('EFF', second + 1, second * 1000)]));
    const all = board.series('eff', {}, 1000)!.EFF;
    // At most 125 kept (the limit and a quarter before trimming), the newest ones.
    expect(all.live.length).toBeLessThanOrEqual(125);
    expect(all.live.at(-1)).toEqual({ ts: 200_000, value: 200, quality: 'good' });
    expect(all.difference.every((point) => point.value === 1)).toBe(true);
    const window = board.series('eff', { from: 190_000, to: 195_000 }, 1000)!.EFF;
    expect(window.shadow.map((point) => point.value)).toEqual([191, 192, 193, 194, 195, 196]);
    expect(board.series('eff', { from: 0, to: 1_000_000 }, 10)!.EFF.live.length).toBeLessThanOrEqual(10);
    expect(board.series('nope', {}, 1)).toBeUndefined();
  });

  it('forgets a run when it ends', () => {
    const board = started();
    expect(board.end('eff')).toBe(true);
    expect(board.comparison('eff')).toBeUndefined();
    expect(board.end('eff')).toBe(false);
  });
});
