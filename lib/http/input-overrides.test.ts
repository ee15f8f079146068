import { describe, expect, it } from 'vitest';
import { formatIssues } from '../model/script-schema';
import { DebugSessionRunSchema, RunRequestSchema } from './api-schemas';

/** The "inputs" of calculate, validate, debug and session runs: bare values or { value, quality?, ts? }; clear 400s. */

const problem = (inputs: unknown) => {
  const parsed = RunRequestSchema.safeParse({ scriptId: 's1', inputs });
  return parsed.success ? null : formatIssues(parsed.error);
};

describe('input overrides', () => {
  it('accepts bare values, null, and objects with quality and time', () => {
    const parsed = RunRequestSchema.parse({
      scriptId: 's1',
      inputs: { a: 1, b: null, c: 'AUTO', d: { value: 2, quality: 'bad', ts: '2026-11-27T10:00:00Z' }, e: { value: null, ts: 1_700_000_000_000 } },
    });
    expect(parsed.inputs).toEqual({ a: 1, b: null, c: 'AUTO', d: { value: 2, quality: 'bad', ts: '2026-11-27T10:00:00Z' }, e: { value: null, ts: 1_700_000_000_000 } });
    expect(DebugSessionRunSchema.parse({ inputs: { a: { value: true, quality: 'uncertain' } } }).inputs).toEqual({ a: { value: true, quality: 'uncertain' } });
  });

  it('says which field of an object is wrong', () => {
    expect(problem({ fuel: { value: 1, quality: 'meh' } })).toMatch(/^inputs\.fuel: "quality": .*"good"\|"uncertain"\|"bad"/);
    expect(problem({ fuel: { quality: 'bad' } })).toMatch(/^inputs\.fuel: "value" is missing — an override is a value/);
    expect(problem({ fuel: { value: { nested: 1 } } })).toMatch(/^inputs\.fuel: "value" is not a number, boolean, string or null/);
    expect(problem({ fuel: { value: 1, stamp: 3 } })).toMatch(/^inputs\.fuel: .*"stamp"/);
    expect(problem({ fuel: [1] })).toMatch(/^inputs\.fuel: an override is a value \(number, boolean, string or null\) or \{ "value"/);
  });
});
