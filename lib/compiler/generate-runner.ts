import type { ScriptOutput, Trigger } from '../model/script-schema';

/**
 * The per-script runner, generated for one script: the sandbox's batch loop calls it once per
 * evaluation. Its body is the user's calcCode, between a prologue (on the line before the code) and
 * an epilogue (on the line after), so line numbers stay the user's:
 *
 *   prologue: skip a conditional run that was not triggered or lacks an input; bind each alias to the
 *             input's latest value, read from the sandbox's tag table by index
 *   calcCode
 *   epilogue: check every output, give it the worst input quality (or ctx.setQuality's), and publish
 *             those that changed beyond their deadband; return 1 (or what __ssBad returns, 2, when
 *             an output is invalid: the engine then publishes the valid ones and null/bad for the
 *             invalid ones; an editor run publishes nothing)
 *
 * The script's constants (table indexes, deadbands) are written into the code, so the interpreter runs
 * no generic loops per evaluation. Names bound in the program's factory scope:
 *   __ssV values · __ssQ qualities (0 good, 1 uncertain, 2 bad) · __ssC change stamps
 *   __ssI<n> table index of input n · __ssO<k> table index of output k · __ssQS ctx.setQuality's picks
 *   __ssEmit(index, value, quality, now, step) publishes · __ssBad(k, value) reports an invalid output
 *   __ssOk(value) is a valid non-number output
 * Runner arguments: the step of this evaluation, its time (ctx.now), whether it is conditional (run
 * only if a trigger input changed at this step and every input has been seen), and the worst input
 * quality when the caller knows it (-1: work it out here).
 */

export interface RunnerShape {
  aliases: readonly string[];
  outputs: readonly ScriptOutput[];
  /** Indexes of the inputs whose changes trigger the script. */
  triggerInputs: readonly number[];
  /** The script uses ctx (its setQuality must be honoured). */
  usesCtx: boolean;
  /** Editor runs: report every valid output, and what was computed when the code throws. */
  capture: boolean;
}

export const RUNNER_PARAMETERS = '__ssStep, __ssNow, __ssCond, __ssW';

export function generatePrologue(shape: RunnerShape): string {
  const { aliases, outputs, triggerInputs, usesCtx, capture } = shape;
  const inputs = aliases.map((_, n) => n);
  const parts: string[] = [];
  if (inputs.length > 0) {
    const triggered = triggerInputs.map((n) => `__ssC[__ssI${n}] !== __ssStep`).join(' && ') || 'true';
    const unseen = inputs.map((n) => `__ssV[__ssI${n}] === void 0`).join(' || ');
    parts.push(`if (__ssCond === 1) { if (${triggered}) return 0; if (${unseen}) return 0; }`);
    parts.push(`if (__ssW < 0) { __ssW = __ssQ[__ssI0]; ${inputs.slice(1).map((n) => `if (__ssQ[__ssI${n}] > __ssW) __ssW = __ssQ[__ssI${n}];`).join(' ')} }`);
    parts.push(`let ${aliases.map((alias, n) => `${alias} = __ssV[__ssI${n}]`).join(', ')};`);
  } else {
    parts.push('__ssW = 0;');
  }
  if (usesCtx) parts.push('__ssQS.fill(-1);');
  if (capture) {
    parts.push(
      `__ssCap.f = function () { ${outputs.map((output, k) => `try { __ssOut[${k}] = ${output.variable}; } catch (__ssE) { __ssOut[${k}] = void 0; }`).join(' ')} };`,
    );
  }
  return parts.join(' ');
}

export function generateEpilogue(shape: RunnerShape): string {
  const { outputs, usesCtx, capture } = shape;
  const parts: string[] = [];
  // The engine publishes the valid outputs of a run with an invalid one, and null/bad (reason
  // "error") for the invalid ones (__ssFailOut, once); an editor run reports the first invalid one.
  if (!capture) parts.push('var __ssF = 0;');
  outputs.forEach((output, k) => {
    parts.push(`var __ssX${k} = ${output.variable};`);
    const invalid = `typeof __ssX${k} === "number" ? __ssX${k} - __ssX${k} !== 0 : !__ssOk(__ssX${k})`;
    if (capture) parts.push(`if (${invalid}) return __ssBad(${k}, __ssX${k});`);
    else parts.push(`if (${invalid}) { if (__ssF === 0) __ssF = __ssBad(${k}, __ssX${k}); __ssX${k} = __ssFAIL; }`);
  });
  if (outputs.some((output) => (output.deadband ?? 0) > 0)) parts.push('var __ssD;');
  outputs.forEach((output, k) => {
    const quality = usesCtx ? `(__ssQS[${k}] >= 0 ? __ssQS[${k}] : __ssW)` : '__ssW';
    const held = `__ssV[__ssO${k}]`;
    const value = `__ssX${k}`;
    const deadband = output.deadband ?? 0;
    let changed: string;
    if (capture) changed = 'true';
    else if (deadband > 0) {
      changed = `__ssQ[__ssO${k}] !== ${quality} || (typeof ${value} === "number" && typeof ${held} === "number" ? (__ssD = ${value} - ${held}) > ${deadband} || __ssD < -${deadband} : ${held} !== ${value})`;
    } else changed = `__ssQ[__ssO${k}] !== ${quality} || ${held} !== ${value}`;
    const emit = `if (${changed}) __ssEmit(__ssO${k}, ${value}, ${quality}, __ssNow, __ssStep);`;
    parts.push(capture ? emit : `if (${value} === __ssFAIL) __ssFailOut(__ssO${k}, __ssNow, __ssStep); else ${emit}`);
  });
  parts.push(capture ? 'return 1;' : 'return __ssF === 0 ? 1 : __ssF;');
  return parts.join(' ');
}

/** Indexes of the inputs that trigger a script on change (all of them unless the trigger names some). */
export function triggerInputIndexes(aliases: readonly string[], trigger: Trigger | undefined): number[] {
  if (trigger?.type === 'onChange' && trigger.inputs) {
    return trigger.inputs.map((alias) => aliases.indexOf(alias)).filter((index) => index >= 0);
  }
  return aliases.map((_, index) => index);
}

/**
 * The fast body (an engine program with one output, no deadband, no ctx, no isGood): the script's
 * calcCode as a plain function of its inputs returning its output,
 *
 *   ;const __ssBody = function (<aliases>) {
 *   <calcCode>
 *   ;return <output variable>;};const __ssRun = function (<runner parameters>) {<prologue>const __ssY = __ssBody(<aliases>); <epilogue of __ssY>
 *
 * so the sandbox's generated step code (script-sandbox.ts stepSource) calls it with the inputs read
 * straight from the tag table and does the epilogue's work inline, while the runner — the general
 * path: conditional runs, an unknown quality, an invalid output — keeps every rule. Line numbers are
 * the same as the runner's: calcCode starts on the line after the header.
 */
export function fastBodyApplies(shape: RunnerShape, readsInputMeta: boolean, calcCode: string): boolean {
  const { aliases, outputs, usesCtx, capture } = shape;
  return (
    !capture &&
    !usesCtx &&
    !readsInputMeta &&
    aliases.length > 0 &&
    outputs.length === 1 &&
    !((outputs[0].deadband ?? 0) > 0) &&
    // `arguments` would be the body's, not the runner's: such a script keeps the general path.
    !/\barguments\b/.test(calcCode)
  );
}

export function fastBodyHeader(shape: RunnerShape): string {
  return `;const __ssBody = function (${shape.aliases.join(', ')}) {`;
}

export function fastBodyFooter(shape: RunnerShape): string {
  const runnerShape = { ...shape, outputs: [{ ...shape.outputs[0], variable: '__ssY' }] };
  return (
    `;return ${shape.outputs[0].variable};};` +
    `const __ssRun = function (${RUNNER_PARAMETERS}) {${generatePrologue(shape)} const __ssY = __ssBody(${shape.aliases.join(', ')}); ${generateEpilogue(runnerShape)}`
  );
}
