import { describe, expect, it } from 'vitest';
import { MISSING_RETRY_MAX_MS, MISSING_RETRY_MS, TagPolling } from './tag-polling';

describe('TagPolling', () => {
  it('asks for every tag until one answers 404, then skips it until its retry', () => {
    const polling = new TagPolling();
    expect(polling.due(['FT-101.PV', 'FT-1O1.PV'], 0)).toEqual(['FT-101.PV', 'FT-1O1.PV']);
    polling.notFound('FT-1O1.PV', 0);
    expect(polling.isMissing('FT-1O1.PV')).toBe(true);
    for (let now = 2000; now < MISSING_RETRY_MS; now += 2000) expect(polling.due(['FT-101.PV', 'FT-1O1.PV'], now)).toEqual(['FT-101.PV']);
    expect(polling.due(['FT-1O1.PV'], MISSING_RETRY_MS)).toEqual(['FT-1O1.PV']);
  });

  it('doubles the wait while the tag stays missing, up to a limit', () => {
    const polling = new TagPolling();
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      polling.notFound('X', now);
      let next = now + 1;
      while (polling.due(['X'], next).length === 0) next += 1000;
      waits.push(next - now);
      now = next;
    }
    expect(waits.slice(0, 3)).toEqual([MISSING_RETRY_MS + 1, 2 * MISSING_RETRY_MS + 1, 4 * MISSING_RETRY_MS + 1]);
    expect(Math.max(...waits)).toBeLessThanOrEqual(MISSING_RETRY_MAX_MS + 1000);
  });

  it('polls a tag normally again once it has a value', () => {
    const polling = new TagPolling();
    polling.notFound('X', 0);
    polling.found('X');
    expect(polling.due(['X'], 1)).toEqual(['X']);
    expect(polling.isMissing('X')).toBe(false);
  });
});
