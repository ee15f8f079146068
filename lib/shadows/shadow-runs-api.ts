import { randomUUID } from 'node:crypto';
import { UserError } from '../model/errors';
import type { ScriptDraft } from '../model/script-schema';
import type { OutputComparison, SeriesPoint, ShadowSample } from '../model/shadow';
import type { Script } from '../model/script';
import type { ChangeAuthor } from '../model/audit';
import type { StoredShadow } from '../ports/shadow-store';
import { compiledOrThrow } from '../scripts/check-registrable';
import { getStoredScriptOrThrow } from '../scripts/get-script';
import { updateScript } from '../scripts/update-script';
import { registerScript } from '../scripts/register-script';
import type { ShadowPorts } from './shadow-ports';

/**
 * The shadow-run use cases of changes.md: start (or replace) a script's shadow, read its comparison
 * and series, promote it, stop it. They keep the store's record; the engine running the live
 * version follows it and saves its report (see shadow-ports.ts).
 */

const iso = (ms: number) => new Date(ms).toISOString();

export async function startShadow(ports: ShadowPorts, scriptId: string, definition: ScriptDraft, startedBy: { id: string; name: string } | null) {
  const script = await getStoredScriptOrThrow(ports, scriptId);
  if (script.state === 'unregistered') {
    throw new UserError('CONFLICT', `'${script.definition.name}' is not registered: a shadow runs beside the registered version — register the script first, or save and register the draft itself`, {
      state: script.state,
    });
  }
  compiledOrThrow(definition); // a clear 422 now, rather than a shadow that never starts
  const shadow = { shadowId: randomUUID(), scriptId, version: script.version + 1, definition, startedAt: new Date(ports.now()), startedBy };
  await ports.shadowStore.put(shadow);
  ports.log.info({ scriptId, shadowId: shadow.shadowId }, 'shadow run started');
  return { id: shadow.shadowId, startedAt: shadow.startedAt.toISOString() };
}

async function shadowOrThrow(ports: Pick<ShadowPorts, 'store' | 'shadowStore'>, scriptId: string): Promise<StoredShadow> {
  const script = await getStoredScriptOrThrow(ports, scriptId);
  const shadow = await ports.shadowStore.get(scriptId);
  if (!shadow) throw new UserError('NOT_FOUND', `'${script.definition.name}' has no shadow run: start one with POST /api/scripts/${scriptId}/shadow`, { id: scriptId });
  return shadow;
}

const sample = (value: ShadowSample | null) => value && { value: value.value, ts: iso(value.ts), quality: value.quality };

export async function getShadow(ports: Pick<ShadowPorts, 'store' | 'shadowStore'>, scriptId: string) {
  const shadow = await shadowOrThrow(ports, scriptId);
  const report = shadow.report;
  const outputs: Record<string, Omit<OutputComparison, 'live' | 'shadow'> & { live: ReturnType<typeof sample>; shadow: ReturnType<typeof sample> }> = {};
  for (const output of shadow.definition.outputs) {
    const comparison = report?.comparison[output.tag] ?? { live: null, shadow: null, compared: 0, differing: 0, maxAbsDiff: null };
    outputs[output.tag] = { ...comparison, live: sample(comparison.live), shadow: sample(comparison.shadow) };
  }
  return {
    id: shadow.shadowId,
    startedAt: shadow.startedAt.toISOString(),
    version: shadow.version,
    state: report?.activity?.state ?? 'starting',
    evaluations: report?.activity?.evaluations ?? 0,
    errors: report?.activity?.errors ?? 0,
    lastError: report?.activity?.lastError ?? null,
    reportedAt: shadow.reportAt?.toISOString() ?? null,
    outputs,
  };
}

export async function getShadowSeries(ports: Pick<ShadowPorts, 'store' | 'shadowStore'>, scriptId: string, query: { from?: string; to?: string; maxPoints?: number }) {
  const shadow = await shadowOrThrow(ports, scriptId);
  const from = query.from ? Date.parse(query.from) : -Infinity;
  const to = query.to ? Date.parse(query.to) : Infinity;
  if (!(from < to)) throw new UserError('VALIDATION_FAILED', `from must be before to (from ${query.from}, to ${query.to})`, { from: query.from, to: query.to });
  const maxPoints = query.maxPoints ?? 1000;
  const within = (points: SeriesPoint[]) => thin(points.filter((point) => point.ts >= from && point.ts <= to), maxPoints).map((point) => ({ ...point, ts: iso(point.ts) }));
  const outputs: Record<string, { live: unknown[]; shadow: unknown[]; difference: unknown[] }> = {};
  for (const output of shadow.definition.outputs) {
    const series = shadow.report?.series[output.tag];
    outputs[output.tag] = { live: within(series?.live ?? []), shadow: within(series?.shadow ?? []), difference: within(series?.difference ?? []) };
  }
  return { id: shadow.shadowId, from: query.from ?? null, to: query.to ?? null, outputs };
}

/** Every n-th point, the last one kept: the report's series are already bounded, this only honours maxPoints. */
function thin<T>(points: T[], maxPoints: number): T[] {
  if (points.length <= maxPoints) return points;
  const step = points.length / maxPoints;
  const kept: T[] = [];
  for (let index = 0; index < maxPoints - 1; index++) kept.push(points[Math.floor(index * step)]);
  kept.push(points[points.length - 1]);
  return kept;
}

/**
 * The candidate becomes the next version and the registered one (as PUT + hot swap: its regression
 * tests must pass unless `force`); the shadow ends.
 */
export async function promoteShadow(ports: ShadowPorts, scriptId: string, author?: ChangeAuthor, options: { force?: boolean } = {}): Promise<Script> {
  const shadow = await shadowOrThrow(ports, scriptId);
  const script = await getStoredScriptOrThrow(ports, scriptId);
  const message = `promoted from the shadow run started ${shadow.startedAt.toISOString()}`;
  const updated = await updateScript(ports, scriptId, shadow.definition, author, { message, force: options.force });
  // Unregistered meanwhile: promoting means it runs.
  if (script.state === 'unregistered' || updated.status.state === 'unregistered') return registerScript(ports, scriptId, author, { force: options.force });
  return updated;
}

export async function stopShadow(ports: Pick<ShadowPorts, 'store' | 'shadowStore' | 'log'>, scriptId: string): Promise<void> {
  await shadowOrThrow(ports, scriptId);
  await ports.shadowStore.remove(scriptId);
  ports.log.info({ scriptId }, 'shadow run stopped');
}
