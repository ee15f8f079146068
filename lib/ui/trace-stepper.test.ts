import { describe, expect, it } from 'vitest';
import type { DebugStep } from './api-types';
import { clampStep, displayValue, firstInterestingStep, moveStep, variablesAt } from './trace-stepper';

const step = (n: number, source: 'init' | 'calc', line: number, vars: Record<string, unknown>): DebugStep => ({ step: n, source, line, column: 1, vars });

const trace: DebugStep[] = [
  step(0, 'init', 1, { runs: 0 }),
  step(1, 'calc', 1, { runs: 1 }),
  step(2, 'calc', 2, { runs: 1, eff: 2.5 }),
  step(3, 'calc', 3, { runs: 1, eff: 3, list: [1, 2] }),
  step(4, 'calc', 4, { runs: 1, eff: 3, list: [1, 2] }),
];

describe('moveStep', () => {
  it('moves within the trace and stops at its ends', () => {
    expect(moveStep(0, 5, 'next')).toBe(1);
    expect(moveStep(4, 5, 'next')).toBe(4);
    expect(moveStep(0, 5, 'previous')).toBe(0);
    expect(moveStep(3, 5, 'previous')).toBe(2);
    expect(moveStep(3, 5, 'first')).toBe(0);
    expect(moveStep(1, 5, 'last')).toBe(4);
  });
  it('copes with an empty trace', () => {
    expect(moveStep(0, 0, 'next')).toBe(0);
    expect(moveStep(0, 0, 'last')).toBe(0);
  });
  it('clamps any index', () => {
    expect(clampStep(-3, 5)).toBe(0);
    expect(clampStep(99, 5)).toBe(4);
    expect(clampStep(Number.NaN, 5)).toBe(0);
    expect(clampStep(2.7, 5)).toBe(2);
  });
});

describe('variablesAt', () => {
  it('marks the variables whose value changed at this step', () => {
    const rows = variablesAt(trace, 1);
    expect(rows).toEqual([{ name: 'runs', value: 1, previous: 0, changed: true, added: false }]);
  });
  it('marks new variables as added and changed', () => {
    const rows = variablesAt(trace, 2);
    expect(rows.find((r) => r.name === 'eff')).toMatchObject({ changed: true, added: true, previous: undefined });
    expect(rows.find((r) => r.name === 'runs')).toMatchObject({ changed: false });
  });
  it('compares objects by value', () => {
    const rows = variablesAt(trace, 4);
    expect(rows.every((r) => !r.changed)).toBe(true);
  });
  it('treats every variable of the first step as changed', () => {
    expect(variablesAt(trace, 0)).toEqual([{ name: 'runs', value: 0, previous: undefined, changed: true, added: false }]);
  });
  it('returns nothing for an empty trace', () => {
    expect(variablesAt([], 0)).toEqual([]);
  });
});

describe('firstInterestingStep', () => {
  it('starts at the first calc step', () => {
    expect(firstInterestingStep(trace)).toBe(1);
    expect(firstInterestingStep([trace[0]])).toBe(0);
  });
});

describe('displayValue', () => {
  it('shows values as code would', () => {
    expect(displayValue('a')).toBe('"a"');
    expect(displayValue(1.5)).toBe('1.5');
    expect(displayValue(null)).toBe('null');
    expect(displayValue(undefined)).toBe('undefined');
    expect(displayValue([1, 2])).toBe('[1,2]');
    expect(displayValue('x'.repeat(200), 10)).toHaveLength(10);
  });
});
