import { describe, expect, it } from 'vitest';
import { closestTag } from './tag-suggestion';

const tags = ['FT-101.PV', 'FT-102.PV', 'TT-201.PV', 'PT-301.PV', 'BOILER.EFFICIENCY'];

describe('closestTag', () => {
  it('finds the tag a slip was meant for', () => {
    expect(closestTag('FT-1O1.PV', tags)).toBe('FT-101.PV');
    expect(closestTag('FT101.PV', tags)).toBe('FT-101.PV');
    expect(closestTag('ft-101.pv', tags)).toBe('FT-101.PV');
    expect(closestTag('FT-101', tags)).toBe('FT-101.PV');
    expect(closestTag('BOILER.EFFICIENCI', tags)).toBe('BOILER.EFFICIENCY');
  });

  it('picks the nearest and breaks ties by name', () => {
    expect(closestTag('FT-10.PV', tags)).toBe('FT-101.PV');
  });

  it('suggests nothing for an existing tag, an empty name or something unrelated', () => {
    expect(closestTag('FT-101.PV', tags)).toBeNull();
    expect(closestTag('  ', tags)).toBeNull();
    expect(closestTag('LEVEL.SETPOINT', tags)).toBeNull();
    expect(closestTag('FT-101.PV', [])).toBeNull();
  });
});
