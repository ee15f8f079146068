import type { Diagnostic, DiagnosticSource } from '../../model/diagnostic';
import {
  DIAGNOSTIC_TEMPLATES_EN,
  fillDiagnosticTemplate,
  isDiagnosticCode,
  PLACE_WORDS_EN,
  type DiagnosticCode,
  type PlaceWords,
} from '../../model/diagnostic-messages';
import type { Locale } from '../format';

/**
 * The messages of diagnostics in the user's language, from their `code` and `params` (English is the
 * API's own message; a diagnostic without a known code is shown as the server wrote it).
 */

export const DIAGNOSTIC_TEMPLATES_KO: Record<DiagnosticCode, string> = {
  syntax: '{at} 문법 오류: {error}',
  'unexpected-token': "{at} 예상하지 못한 기호 '{token}'가 있습니다",
  'unexpected-end': '{at} 코드가 너무 일찍 끝납니다 — 닫히지 않은 괄호, 따옴표 또는 문장이 있습니다',
  'return-outside': "{at} 스크립트의 맨 바깥에서는 'return'을 쓸 수 없습니다: 결과를 출력 변수에 대입하세요",
  'import-export': '{at} import/export: 스크립트는 모듈을 가져오거나 내보낼 수 없습니다. 입력은 별칭으로 들어옵니다',
  'dynamic-import': '{at} import(): 스크립트는 모듈을 불러올 수 없습니다',
  'import-meta': '{at} import.meta: 스크립트는 모듈이 아닙니다',
  await: '{at} await: 스크립트는 동기적으로 실행됩니다. 지우세요',
  'async-function': '{at} async function: 스크립트는 동기적으로 실행됩니다. 일반 함수를 쓰세요',
  'reserved-name': "{at} '{name}': __ss로 시작하는 이름은 Script Server 전용입니다. 이름을 바꾸세요",
  'code-generation': '{at} {name}(): 스크립트는 실행 중에 코드를 만들 수 없습니다. 코드를 직접 쓰세요',
  'html-comment': "{at} '{token}': HTML 형식의 주석은 쓸 수 없습니다. // 또는 /* */를 쓰세요",
  'input-in-init': "{at} '{name}'은(는) 입력이라 초기화 코드에서 읽을 수 없습니다: 입력은 계산 코드에서만 쓸 수 있습니다",
  'assign-to-constant': "{at} '{name}'은(는) 초기화 코드의 {declaration}이므로 값을 바꿀 수 없습니다: 초기화 코드에서 let으로 선언하세요",
  'undeclared-assignment': "'{name}'에 값을 대입하지만 선언한 적이 없습니다 — let으로 선언하세요",
  'undeclared-assignment-suggest': "'{name}'에 값을 대입하지만 선언한 적이 없습니다 — let으로 선언하거나, '{suggestion}'을(를) 뜻했나요?",
  'unknown-identifier': "'{name}'이(가) 정의되지 않았습니다",
  'unknown-identifier-suggest': "'{name}'이(가) 정의되지 않았습니다 — '{suggestion}'을(를) 뜻했나요?",
  'init-declares-alias': "{at} 초기화 코드가 입력 별칭과 같은 '{name}'을(를) 선언합니다: 둘 중 하나의 이름을 바꾸세요",
  'calc-declares-alias': "{at} 계산 코드가 입력 별칭과 같은 '{name}'을(를) 선언합니다: 변수 이름을 바꾸세요",
  'shadows-state':
    "{at} 계산 코드가 '{name}'을(를) 다시 선언해 초기화 코드의 변수를 가리므로 값이 실행 사이에 유지되지 않습니다 — 상태를 바꾸려면 {declaration} 없이 '{name} = …'로 쓰세요",
  'output-missing': "출력 {output}은(는) 변수 '{variable}'을(를) 읽지만 계산 코드에 그 변수가 없습니다",
  'output-missing-suggest': "출력 {output}은(는) 변수 '{variable}'을(를) 읽지만 계산 코드에 그 변수가 없습니다 — '{suggestion}'을(를) 뜻했나요?",
  'output-is-alias': "출력 {output}이(가) 읽는 '{variable}'은(는) 입력 별칭입니다 — 계산 코드에서 변수에 대입하세요 (예: const out = {variable};)",
  'output-nested': "출력 {output}이(가) 읽는 변수 '{variable}'은(는) {part} {line}행의 블록이나 함수 안에서 선언되었습니다 — 맨 바깥에서 선언하세요",
  'output-undefined': "{at} 출력 {output}: 변수 '{variable}'이(가) undefined입니다 (값을 대입한 적이 없습니다)",
  'output-not-finite': "{at} 출력 {output}: 변수 '{variable}'이(가) {value}로 유한한 숫자가 아닙니다 — 0으로 나누지 않았는지 확인하세요",
  'output-too-long': "{at} 출력 {output}: 변수 '{variable}'이(가) {length}자 문자열로 허용된 4 KB보다 깁니다",
  'output-wrong-type': "{at} 출력 {output}: 변수 '{variable}'의 형식이 {type}입니다. 출력은 숫자, 불리언, 문자열 또는 null이어야 합니다",
  'runtime-error': '{at} 실행 오류: {error}',
  'stack-overflow': '{at} 호출이 너무 깊게 중첩되었습니다 (스택 오버플로) — 끝없이 자기 자신을 호출하는 함수가 있는지 확인하세요',
  'timeout-loop': '{part}이(가) {ms} ms 후 중단되었습니다 — {at} 끝나지 않는 반복문이 있는지 확인하세요',
  'timeout-loops': '{part}이(가) {ms} ms 후 중단되었습니다 — {at} 끝나지 않는 반복문이 있는지 확인하세요 (다른 반복문: {lines}행)',
  timeout: '{part}이(가) {ms} ms 후 중단되었습니다 — 끝없이 자기 자신을 호출하는 함수나 느린 정규식이 있는지 확인하세요',
  'trace-timeout': '{part}이(가) {total} ms 후 중단되었습니다 (제한 {ms} ms에 추적 기록용 {allowance} ms를 더한 시간) — {at} 끝나지 않는 반복문이 있는지 확인하세요',
  'trace-timeout-other': '{part}이(가) {total} ms 후 중단되었습니다 (제한 {ms} ms에 추적 기록용 {allowance} ms를 더한 시간) — 끝없이 자기 자신을 호출하는 함수나 느린 정규식이 있는지 확인하세요',
  hang: '{part}이(가) {seconds}초 안에 끝나지 않아 중단되었습니다 ({ms} ms 제한으로 멈출 수 없는 호출, 예: 아주 큰 배열이나 문자열의 정렬·검색) — 그런 호출을 반복하는 곳을 확인하세요',
  'hang-quarantined':
    '{part}이(가) {seconds}초 동안 끝나지 않았습니다 ({ms} ms 제한으로 멈출 수 없는 호출, 예: 아주 큰 배열이나 문자열의 정렬·검색) — 스크립트를 멈추고 격리했습니다. 그런 호출을 반복하는 곳을 확인하세요',
  'hang-init': '{part}이(가) {seconds}초 안에 끝나지 않았습니다 ({ms} ms 제한으로 멈출 수 없는 호출, 예: 아주 큰 배열이나 문자열의 정렬·검색) — {at} 그런 호출을 반복하는 곳을 확인하세요',
  'out-of-memory': '{at} 스크립트의 메모리가 부족합니다 (제한 {mb} MB) — 끝없이 커지는 배열, 문자열 또는 객체가 있는지 확인하세요',
  'sandbox-failed': '샌드박스가 실패했습니다 ({error}) — 스크립트를 멈췄습니다',
  'session-broken': '디버그 세션의 샌드박스가 실패했습니다 ({error}) — 새 디버그 세션을 여세요',
  'input-no-value': "입력 '{alias}' ({tag})에는 아직 값이 없습니다: 엔진은 {tag}에 값이 들어올 때까지 기다리며 지금은 스크립트를 실행하지 않습니다. 이번 실행에서는 null을 사용했습니다",
  'input-null': "입력 '{alias}' ({tag})이(가) 이번 실행에서 null입니다. 산술 연산은 null을 0으로 취급하므로(null + 1은 1) 중요한 곳에서는 {alias} === null 로 확인하세요",
  'input-stale': "입력 '{alias}' ({tag})이(가) 이번 실행에서 오래된 값입니다: 시각이 staleAfterMs보다 오래되어 isGood('{alias}')은(는) false이고 품질은 uncertain으로 취급됩니다",
  'output-null': "출력 {tag}은(는) null로 게시됩니다: 계산 후 변수 '{variable}'이(가) null입니다",
  'invalid-definition': '정의 오류 — {field}: {problem}',
  'dependency-cycle': '순환 의존: {cycle} — 스크립트는 직접이든 다른 스크립트를 거쳐서든 자기 출력을 입력으로 쓸 수 없습니다',
  'plot-capped': '그래프는 {count}번 계산한 뒤 멈췄습니다. 나머지를 보려면 기간을 줄이세요',
  'replay-stopped': '재생이 멈췄습니다: {error}',
  'test-unknown-input': "{step}단계: '{alias}'은(는) 이 스크립트의 입력 별칭이 아닙니다 — 테스트에서 이름을 고치거나 지우세요",
  'test-missing-input': "{step}단계: 입력 '{alias}'에 아직 값이 없습니다 — 이 단계나 이전 단계에서 값을 주세요 (엔진은 모든 입력에 값이 있을 때까지 기다립니다)",
  'test-unknown-output': "테스트가 출력 '{tag}'을(를) 기대하지만 이 스크립트는 그 출력을 만들지 않습니다 — 테스트의 expect에서 지우거나 출력을 추가하세요",
};

const PART_KO: Record<DiagnosticSource, string> = { init: '초기화 코드', calc: '계산 코드', definition: '정의' };

export const PLACE_WORDS_KO: PlaceWords = {
  part: (source) => PART_KO[source] ?? String(source),
  at: (source, line, column) => {
    const part = PART_KO[source] ?? String(source);
    if (line === undefined) return `${part}에서`;
    return column === undefined ? `${part} ${line}행에서` : `${part} ${line}행 ${column}열에서`;
  },
};

export const DIAGNOSTIC_TEMPLATES: Record<Locale, Record<DiagnosticCode, string>> = { en: DIAGNOSTIC_TEMPLATES_EN, ko: DIAGNOSTIC_TEMPLATES_KO };
const PLACE_WORDS: Record<Locale, PlaceWords> = { en: PLACE_WORDS_EN, ko: PLACE_WORDS_KO };

/** A diagnostic's message in the user's language. */
export function diagnosticText(locale: Locale, diagnostic: Pick<Diagnostic, 'message' | 'code' | 'params' | 'source' | 'line' | 'column'>): string {
  if (locale === 'en' || !isDiagnosticCode(diagnostic.code)) return diagnostic.message;
  const text = fillDiagnosticTemplate(DIAGNOSTIC_TEMPLATES[locale][diagnostic.code], diagnostic.params ?? {}, diagnostic, PLACE_WORDS[locale]);
  // A template whose params did not all arrive (an older server) is not shown half-filled.
  return /\{\w+\}/.test(text) ? diagnostic.message : text;
}
