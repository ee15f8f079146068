import type { ScriptDraft } from '../model/script-schema';

/**
 * The example scripts created on first start with an empty database, so the IDE opens on something
 * that runs against the built-in plant simulator. Each shows one idea a plant engineer needs:
 *  1. boiler_efficiency        — a ratio of two meters, trusted only when both read good values;
 *  2. feedwater_flow_filtered  — state kept between runs (a first-order filter in initCode);
 *  3. boiler_efficiency_alarm  — a script reading another script's output, with hysteresis.
 */

const boilerEfficiency: ScriptDraft = {
  name: 'boiler_efficiency',
  description:
    'Boiler B-100 efficiency as tonnes of steam produced per tonne of fuel gas (FT-101 / FT-102); ' +
    'a healthy boiler makes about 14 t of steam per t of gas. Computed only from good readings while ' +
    'the boiler fires: if a meter fails, the last good value is kept and flagged uncertain. Published ' +
    'when it moves by more than 0.05.',
  inputs: [
    { tag: 'FT-101.PV', alias: 'steam' },
    { tag: 'FT-102.PV', alias: 'fuel' },
  ],
  initCode: ['// Last efficiency computed from good readings, kept while a meter is faulty', 'let lastGood = null;'].join('\n'),
  calcCode: [
    'let efficiency = lastGood;',
    'if (isGood(steam) && isGood(fuel)) {',
    '  // Below 0.5 t/h of fuel the boiler is not firing: no efficiency then',
    '  efficiency = fuel > 0.5 ? round(steam / fuel, 2) : null; // t steam per t fuel',
    '  lastGood = efficiency;',
    '} else {',
    '  // A meter reads bad or uncertain: hold the last good value and say so',
    '  ctx.setQuality("efficiency", "uncertain");',
    '}',
  ].join('\n'),
  outputs: [{ tag: 'CALC.BOILER_EFF', variable: 'efficiency', deadband: 0.05 }],
  trigger: { type: 'onChange' },
};

const feedwaterFlowFiltered: ScriptDraft = {
  name: 'feedwater_flow_filtered',
  description:
    'Feedwater flow to boiler B-100 (FT-301) smoothed over about 30 seconds, to show the trend without ' +
    'the meter noise — a first-order filter, the same as a damping setting on a transmitter. Bad or ' +
    'uncertain readings are skipped: the filter holds and the value is flagged uncertain.',
  inputs: [{ tag: 'FT-301.PV', alias: 'feedwater' }],
  initCode: [
    'const TIME_CONSTANT_S = 30; // seconds: larger = smoother but slower',
    '',
    '// Filter state, kept between calculations',
    'let filtered = null; // t/h',
    'let lastTime = null; // ms, time of the last good reading',
  ].join('\n'),
  calcCode: [
    'if (isGood(feedwater)) {',
    '  if (filtered === null) {',
    '    filtered = feedwater; // start from the first good reading',
    '  } else {',
    '    // Weight of the new reading grows with the time since the last one',
    '    const seconds = Math.max(0, (ctx.now - lastTime) / 1000);',
    '    const weight = 1 - Math.exp(-seconds / TIME_CONSTANT_S);',
    '    filtered = filtered + weight * (feedwater - filtered);',
    '  }',
    '  lastTime = ctx.now;',
    '} else {',
    '  ctx.setQuality("flow", "uncertain"); // holding: the meter is not reading good values',
    '}',
    '',
    'const flow = filtered === null ? null : round(filtered, 2); // t/h',
  ].join('\n'),
  outputs: [{ tag: 'CALC.FW_FLOW_FILTERED', variable: 'flow', deadband: 0.05 }],
  trigger: { type: 'onChange' },
};

const boilerEfficiencyAlarm: ScriptDraft = {
  name: 'boiler_efficiency_alarm',
  description:
    'Low-efficiency alarm for boiler B-100, built on the output of boiler_efficiency (CALC.BOILER_EFF). ' +
    'Raised when efficiency drops below 13.3 t/t and does not recover above 13.6 t/t within 2 minutes ' +
    '(a short dip while the boiler follows a load change is normal); cleared once it is back above ' +
    '13.6 t/t, so it does not chatter around the limit. When raised, check flue gas O2 (AT-101) and ' +
    'stack temperature (TT-102). While the efficiency is uncertain or bad (a meter fault), the alarm ' +
    'keeps its state.',
  inputs: [{ tag: 'CALC.BOILER_EFF', alias: 'efficiency' }],
  initCode: [
    'const LOW_LIMIT = 13.3; // t/t: efficiency below this starts the alarm delay',
    'const HEALTHY_LIMIT = 13.6; // t/t: above this the boiler is healthy again (hysteresis)',
    'const DELAY_MS = 2 * 60 * 1000; // how long it may stay low before the alarm is raised',
    '',
    'let alarm = false;',
    'let lowSince = null; // ms: when efficiency went below LOW_LIMIT, null while healthy',
  ].join('\n'),
  calcCode: [
    'if (isGood(efficiency)) {',
    '  if (efficiency === null || efficiency > HEALTHY_LIMIT) {',
    '    lowSince = null; // healthy (or not firing): stop the delay and clear the alarm',
    '    alarm = false;',
    '  } else if (efficiency < LOW_LIMIT && lowSince === null) {',
    '    lowSince = ctx.now; // just went low: start the delay',
    '  }',
    '  if (lowSince !== null && ctx.now - lowSince >= DELAY_MS) alarm = true;',
    '}',
    '',
    '// While the efficiency is doubtful the alarm keeps its state: it stays good quality',
    'ctx.setQuality("alarm", "good");',
  ].join('\n'),
  outputs: [{ tag: 'CALC.BOILER_EFF_ALARM', variable: 'alarm' }],
  trigger: { type: 'onChange' },
};

/** The example scripts, in dependency order (the alarm reads boiler_efficiency's output). */
export const EXAMPLE_SCRIPTS: readonly ScriptDraft[] = Object.freeze([boilerEfficiency, feedwaterFlowFiltered, boilerEfficiencyAlarm]);

/** Fresh copies of the example scripts, safe to change before saving. */
export function exampleScripts(): ScriptDraft[] {
  return EXAMPLE_SCRIPTS.map((script) => structuredClone(script));
}
