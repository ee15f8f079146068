import { describe, expect, it } from 'vitest';
import { diagnostic, DIAGNOSTIC_CODES, DIAGNOSTIC_TEMPLATES_EN, templatePlaceholders } from '../../model/diagnostic-messages';
import { DIAGNOSTIC_TEMPLATES_KO, diagnosticText } from './diagnostic-texts';

describe('diagnostic templates', () => {
  it('exist in English and Korean for every code, with the same params', () => {
    expect(DIAGNOSTIC_CODES.length).toBeGreaterThan(30);
    expect(Object.keys(DIAGNOSTIC_TEMPLATES_KO).sort()).toEqual([...DIAGNOSTIC_CODES].sort());
    for (const code of DIAGNOSTIC_CODES) {
      const ko = DIAGNOSTIC_TEMPLATES_KO[code];
      expect(ko.trim(), code).not.toBe('');
      expect(ko, `${code} is translated`).not.toBe(DIAGNOSTIC_TEMPLATES_EN[code]);
      expect(templatePlaceholders(ko), code).toEqual(templatePlaceholders(DIAGNOSTIC_TEMPLATES_EN[code]));
    }
  });

  it('never name the internal parts of a script', () => {
    for (const code of DIAGNOSTIC_CODES) {
      expect(DIAGNOSTIC_TEMPLATES_EN[code], code).not.toMatch(/calcCode|initCode/);
      expect(DIAGNOSTIC_TEMPLATES_KO[code], code).not.toMatch(/calcCode|initCode/);
    }
  });
});

describe('diagnosticText', () => {
  const unknown = diagnostic('unknown-identifier-suggest', { name: 'stem', suggestion: 'steam' }, { source: 'calc', kind: 'reference', line: 2, column: 13 });

  it('keeps the English message of the API in English', () => {
    expect(diagnosticText('en', unknown)).toBe("'stem' is not defined — did you mean 'steam'?");
  });

  it('says it in Korean from the code and params', () => {
    expect(diagnosticText('ko', unknown)).toBe("'stem'이(가) 정의되지 않았습니다 — 'steam'을(를) 뜻했나요?");
    const timeout = diagnostic('timeout-loop', { part: 'calc', ms: 50 }, { source: 'calc', kind: 'timeout', line: 2, column: 1 });
    expect(timeout.message).toBe('the calculation stopped after 50 ms — look for a loop that never ends at line 2, column 1 of the calculation');
    expect(diagnosticText('ko', timeout)).toBe('계산 코드이(가) 50 ms 후 중단되었습니다 — 계산 코드 2행 1열에서 끝나지 않는 반복문이 있는지 확인하세요');
  });

  it('places an invalid output on its line in both languages', () => {
    const invalid = diagnostic('output-not-finite', { output: 'CALC.EFF', variable: 'eff', value: 'NaN' }, { source: 'calc', kind: 'output', line: 4, column: 3 });
    expect(invalid.message).toBe("output CALC.EFF: variable 'eff' is NaN, not a finite number at line 4, column 3 of the calculation — check for a division by zero");
    expect(diagnosticText('ko', invalid)).toContain('계산 코드 4행 3열에서 출력 CALC.EFF');
  });

  it('shows the server message when the code is unknown or params are missing', () => {
    expect(diagnosticText('ko', { message: 'from an older server', source: 'calc' })).toBe('from an older server');
    expect(diagnosticText('ko', { message: 'half', code: 'output-missing', params: { output: 'X' }, source: 'definition' })).toBe('half');
  });
});
