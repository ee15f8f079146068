import { describe, expect, it } from 'vitest';
import { hangDiagnostic } from './hang-message';

describe('hangDiagnostic', () => {
  it('names an editor run stopped at its deadline', () => {
    const found = hangDiagnostic('hang', 2, 50);
    expect(found).toMatchObject({ code: 'hang', params: { part: 'calc', seconds: 2, ms: 50 }, source: 'calc', kind: 'timeout' });
    expect(found.message).toBe(
      'the calculation did not return within 2 s (a call the 50 ms deadline cannot stop, such as a sort or search over a huge array or string) — it was stopped; look for a loop over such calls',
    );
  });

  it('names a script quarantined for hanging the engine thread', () => {
    expect(hangDiagnostic('hang-quarantined', 2.5, 100).message).toBe(
      'the calculation did not return for 2.5 s (a call the 100 ms deadline cannot stop, such as a sort or search over a huge array or string) — the script was stopped and quarantined; look for a loop over such calls',
    );
  });

  it('names an initialization that never returned, without internal names', () => {
    const found = hangDiagnostic('hang-init', 4, 500);
    expect(found.source).toBe('init');
    expect(found.message).toBe(
      'the initialization did not return within 4 s (a call the 500 ms deadline cannot stop, such as a sort or search over a huge array or string) — look for a loop over such calls in the initialization',
    );
    expect(found.message).not.toMatch(/initCode|calcCode/);
  });
});
