/**
 * The message that names a hang: a call the sandbox's deadline could not stop (QuickJS checks it
 * between bytecodes, not inside a long native call).
 *
 * `call` is what did not return ('calculation', 'initialization'); `waited` how long, as shown
 * ('within 2 s', 'for 2.5 s'); `deadlineMs` the deadline that could not stop it; `outcome` what was
 * done about it ('it was stopped'), if anything; `where` where to look ('in initCode'), if anywhere
 * in particular.
 */
export function hangMessage(parts: { call: string; waited: string; deadlineMs: number; outcome?: string; where?: string }): string {
  const outcome = parts.outcome === undefined ? '' : `${parts.outcome}; `;
  const where = parts.where === undefined ? '' : ` ${parts.where}`;
  return `${parts.call} did not return ${parts.waited} (a call the ${parts.deadlineMs} ms deadline cannot stop, such as a sort or search over a huge array or string) — ${outcome}look for a loop over such calls${where}`;
}
