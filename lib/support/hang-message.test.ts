import { describe, expect, it } from 'vitest';
import { hangMessage } from './hang-message';

describe('hangMessage', () => {
  it('names an editor run stopped at its deadline', () => {
    expect(hangMessage({ call: 'calculation', waited: 'within 2 s', deadlineMs: 50, outcome: 'it was stopped' })).toBe(
      'calculation did not return within 2 s (a call the 50 ms deadline cannot stop, such as a sort or search over a huge array or string) — it was stopped; look for a loop over such calls',
    );
  });

  it('names a script quarantined for hanging the engine thread', () => {
    expect(hangMessage({ call: 'calculation', waited: 'for 2.5 s', deadlineMs: 100, outcome: 'the script was stopped and quarantined' })).toBe(
      'calculation did not return for 2.5 s (a call the 100 ms deadline cannot stop, such as a sort or search over a huge array or string) — the script was stopped and quarantined; look for a loop over such calls',
    );
  });

  it('names an initCode that never returned', () => {
    expect(hangMessage({ call: 'initialization', waited: 'within 4 s', deadlineMs: 500, where: 'in initCode' })).toBe(
      'initialization did not return within 4 s (a call the 500 ms deadline cannot stop, such as a sort or search over a huge array or string) — look for a loop over such calls in initCode',
    );
  });
});
