// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, the top N, and self time
// per area (QuickJS interpreter in WebAssembly, quickjs-emscripten glue, engine, sandbox host code,
// garbage collector, …). Self time = the samples in which the function itself was on top of the stack.
// Bundles with a source map next to them (dist/*.mjs.map) are mapped back to their sources.
// --focus f1,f2 keeps only the samples with a frame of one of these functions (not Node's) on their stack (e.g. the
// engine's hot path ingestNow,pass,evaluate — leaving out start-up and registration).
//
// --window FROM,TO (or a JSON file {"fromUs":…, "toUs":…}) keeps only the samples taken in that span
// of the monotonic clock, in µs (process.hrtime.bigint() / 1000n — the profiler's clock).
//
//   node --import tsx scripts/bench/summarize-profile.mts FILE.cpuprofile [--top 25] [--focus f1,f2]
//        [--window FROM,TO|FILE] [--json]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { argValue } from './common.mts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  top: Array<{ function: string; where: string; area: string; selfMs: number; percent: number }>;
  areas: Array<{ area: string; selfMs: number; percent: number }>;
}

/** Which part of the system a frame belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)' || functionName === '(idle)' || functionName === '(root)') return `V8 ${functionName}`;
  if (url.startsWith('wasm://') || /^(\$|wasm-function)/.test(functionName)) return 'WebAssembly';
  if (url.includes('quickjs-emscripten') || url.includes('@jitl/')) return 'quickjs-emscripten glue (host side)';
  if (url.includes('/lib/sandbox/')) return 'sandbox host code (lib/sandbox)';
  if (url.includes('/lib/engine/')) return 'engine (lib/engine)';
  if (url.includes('/lib/compiler/')) return 'compiler (lib/compiler)';
  if (url.includes('/lib/')) return `lib/${url.split('/lib/')[1].split('/')[0]}`;
  if (url.includes('/scripts/bench/')) return 'benchmark harness';
  if (url.includes('/node_modules/')) {
    const rest = url.split('/node_modules/').pop()!.split('/');
    return `node_modules/${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:') || url === '') return functionName === '' ? 'V8/Node (anonymous)' : 'Node.js internals / builtins';
  return 'other';
}

/**
 * `window`: [from, to] in microseconds of the monotonic clock (process.hrtime, the profiler's clock):
 * only samples taken in it count (e.g. the measured part of a run of a whole app).
 */
export function summarizeProfile(file: string, topN = 25, focus: readonly string[] = [], window?: readonly [number, number]): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  // TypeScript run through tsx is compiled to a line or two (data URLs or file URLs of .ts files): its
  // line numbers say nothing, leave them out.
  const frameOf = (frame: Frame): Frame => {
    const url = realUrl(frame.url);
    return /\.m?ts$/.test(url) ? { ...frame, url, lineNumber: -1 } : original(frame);
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, { ...node, callFrame: frameOf(node.callFrame) }]));
  // Samples taken inside the inspector (the profiler stopping and serialising itself) are not the
  // program's work: leave out every node below a node:inspector frame.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const excluded = new Set<number>();
  const focusSet = new Set(focus);
  for (const node of byId.values()) {
    let focused = focusSet.size === 0;
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.url.startsWith('node:inspector')) {
        focused = false;
        break;
      }
      if (focusSet.has(frame.functionName) && frame.url !== '' && !frame.url.startsWith('node:')) focused = true;
    }
    if (!focused) excluded.add(node.id);
  }
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    at += profile.timeDeltas[i];
    if (window && (at < window[0] || at > window[1])) continue;
    if (excluded.has(id)) continue;
    // timeDeltas[i] is the time before sample i; attribute the gap after it to it (V8's convention).
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const perFunction = new Map<string, { function: string; where: string; area: string; us: number }>();
  const perArea = new Map<string, number>();
  // WebAssembly frames carry no hint of their module: name it after the JavaScript that called in
  // (quickjs-emscripten → the QuickJS interpreter, @electric-sql/pglite → PostgreSQL).
  const wasmArea = (id: number): string => {
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      const frame = byId.get(up)!.callFrame;
      if (frame.url.startsWith('wasm://') || frame.url === '') continue;
      if (frame.url.includes('@electric-sql') || frame.url.includes('pglite')) return 'PGlite: PostgreSQL in WebAssembly';
      if (frame.url.includes('quickjs') || frame.url.includes('/lib/sandbox/') || frame.url.includes('@jitl/')) return 'QuickJS interpreter (WebAssembly)';
      return `WebAssembly called from ${shortUrl(frame.url)}`;
    }
    return 'WebAssembly (caller unknown)';
  };
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortUrl(frame.url)}${frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : ''}` : '';
    const area = frame.url.startsWith('wasm://') ? wasmArea(id) : areaOf(frame.url, frame.functionName);
    const key = `${name}@${where}`;
    const entry = perFunction.get(key) ?? { function: name, where, area, us: 0 };
    entry.us += us;
    perFunction.set(key, entry);
    perArea.set(area, (perArea.get(area) ?? 0) + us);
  }
  const percent = (us: number) => Math.round((us / totalUs) * 1000) / 10;
  return {
    totalMs: Math.round(totalUs / 1000),
    top: [...perFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((entry) => ({ function: entry.function, where: entry.where, area: entry.area, selfMs: Math.round(entry.us / 1000), percent: percent(entry.us) })),
    areas: [...perArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: Math.round(us / 1000), percent: percent(us) })),
  };
}

type Frame = ProfileNode['callFrame'];
const sourceMaps = new Map<string, SourceMap | null>();

interface SourceMap {
  sources: string[];
  /** Per generated line: segments [generatedColumn, sourceIndex, sourceLine] sorted by column. */
  lines: number[][][];
}

/** A frame of a bundle (dist/server.mjs …) at its place in the original source, via the .map beside it. */
function original(frame: Frame): Frame {
  if (!frame.url.startsWith('file://') || frame.lineNumber < 0) return frame;
  const file = fileURLToPath(frame.url);
  let map = sourceMaps.get(file);
  if (map === undefined) {
    try {
      map = existsSync(`${file}.map`) ? parseSourceMap(file, readFileSync(`${file}.map`, 'utf8')) : null;
    } catch {
      map = null; // an index map or one we cannot read: keep the bundle's own position
    }
    sourceMaps.set(file, map);
  }
  const segments = map?.lines[frame.lineNumber];
  if (!map || !segments || segments.length === 0) return frame;
  let found = segments[0];
  for (const segment of segments) {
    if (segment[0] > frame.columnNumber) break;
    found = segment;
  }
  return { ...frame, url: `file://${map.sources[found[1]]}`, lineNumber: found[2] };
}

function parseSourceMap(file: string, text: string): SourceMap {
  const raw = JSON.parse(text) as { sources: string[]; sourceRoot?: string; mappings: string };
  if (typeof raw.mappings !== 'string' || !Array.isArray(raw.sources)) throw new Error('not a plain source map');
  const base = path.dirname(file);
  const sources = raw.sources.map((source) => path.resolve(base, raw.sourceRoot ?? '', source));
  const lines: number[][][] = [];
  let sourceIndex = 0;
  let sourceLine = 0;
  let sourceColumn = 0;
  for (const line of raw.mappings.split(';')) {
    const segments: number[][] = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const fields = decodeVlq(segment);
      column += fields[0];
      if (fields.length >= 4) {
        sourceIndex += fields[1];
        sourceLine += fields[2];
        sourceColumn += fields[3];
        segments.push([column, sourceIndex, sourceLine]);
      }
    }
    lines.push(segments);
  }
  void sourceColumn;
  return { sources, lines };
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

/** tsx loads TypeScript through data URLs that carry the file name: recover it. */
function realUrl(url: string): string {
  if (!url.includes('__filename')) return url;
  let decoded = url;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    // a data URL whose source holds a lone % (a modulo in the code): look in it as it is
  }
  const match = /__filename="([^"]+)"/.exec(decoded) ?? /__filename=%22([^%]+)%22/.exec(url);
  return match ? `file://${match[1]}` : url;
}

function shortUrl(url: string): string {
  if (url.startsWith('wasm://')) return 'wasm';
  const clean = url.replace(/^file:\/\//, '');
  for (const marker of ['/node_modules/', '/lib/', '/scripts/']) {
    const at = clean.lastIndexOf(marker);
    if (at >= 0) return clean.slice(at + 1);
  }
  return path.basename(clean);
}

export function formatSummary(summary: ProfileSummary): string {
  const lines = [`total sampled: ${summary.totalMs} ms`, '', 'self time by area:'];
  for (const area of summary.areas) lines.push(`  ${String(area.percent).padStart(5)} %  ${String(area.selfMs).padStart(6)} ms  ${area.area}`);
  lines.push('', 'top functions by self time:');
  for (const entry of summary.top) {
    lines.push(`  ${String(entry.percent).padStart(5)} %  ${String(entry.selfMs).padStart(6)} ms  ${entry.function}  ${entry.where}`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const file = args.find((arg) => arg.endsWith('.cpuprofile'));
  if (!file) {
    process.stderr.write('usage: summarize-profile.mts FILE.cpuprofile [--top 25] [--json]\n');
    process.exit(2);
  }
  const focus = argValue(args, 'focus', '').split(',').filter(Boolean);
  const windowArg = argValue(args, 'window', '');
  let window: [number, number] | undefined;
  if (windowArg) {
    const text = existsSync(windowArg) ? readFileSync(windowArg, 'utf8') : windowArg;
    const [from, to] = (text.trim().startsWith('{') ? Object.values(JSON.parse(text) as Record<string, number>) : text.split(',').map(Number)) as number[];
    window = [from, to];
  }
  const summary = summarizeProfile(file, Number(argValue(args, 'top', '25')), focus, window);
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
}
