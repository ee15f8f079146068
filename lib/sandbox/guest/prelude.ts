/**
 * The guest prelude: code that runs inside every QuickJS context before any script — the helpers of
 * scripts.md, `ctx`, the batch dispatcher the host drives, and the lock-down (no code generation,
 * frozen built-ins, a frozen global object).
 *
 * This file is guest code: it never runs in Node. `scripts/build-guest.mjs` bundles it with esbuild
 * (the wire constants of ../wire.ts inlined) into ../prelude.generated.ts, the string the sandbox
 * evaluates; a unit test fails when that file is out of date. It may import only ../wire.ts (and
 * nothing that reaches Node or the host).
 *
 * The prelude evaluates to the host API object (the default export). It is never stored on the
 * global object, so script code cannot reach it; the host keeps the only handle.
 *
 * The tag table: every tag a sandbox's scripts read or publish has an index; V holds its latest
 * value (for an output tag: the last published one), Q its quality (0 good, 1 uncertain, 2 bad), S its
 * timestamp, C the step at which it last changed. Scripts' runners (compiler/generate-runner.ts)
 * read and publish through it by index. The batch format is described in ../wire.ts.
 */

import { Arg, Cur, Kind, Layout, markAt, Op, Out, QualityCode, Ran, Rec, RecKind, RunMode } from '../wire';

/** A value in the tag table: what a tag can hold (undefined: never seen). */
type TagValue = number | string | boolean | null | undefined;
type Runner = (step: number, now: number, cond: number, quality: number) => number;
/** A program's fast body (compiler/generate-runner.ts fastBodyHeader): its inputs in, its output out. */
type Body = (...inputs: TagValue[]) => unknown;
/**
 * The sandbox's generated step code (step-code.ts): runs the marked fast runs in slot order. The
 * marks are read from M at b + markAt(slot) (a run's op + 1, 0: not marked); a run's ordinal is its
 * mark + ob, its quality T[4 × mark − 1] (the run op's).
 */
type StepCode = (R: Float64Array, step: number, now: number, M: Int32Array | number[], b: number, ob: number, T: Int32Array, a: number) => number;
/** Error the guest reports to the host (read by script-sandbox.ts as GuestError). */
interface GuestError { kind: string; name?: string; message?: string; stack?: string; output?: number; op?: number; ordinal?: number; slot?: number }
interface Tracer { on: boolean; truncated: boolean; s(site: number, values: unknown[]): void; x(value: unknown, site: number, values: unknown[] | null): unknown; g(read: () => unknown): unknown; take(): string }
/** A loaded script (a slot). */
interface ScriptRecord {
  slot: number; nIn: number; nOut: number; idx: readonly number[];
  out: unknown[]; cap: { f: (() => void) | null; t: Tracer | null };
  aliasIndex: Map<string, number>; outIndex: Map<string, number>; initNow: number;
  qSet: Int8Array; reader: (() => Record<string, unknown>) | null; writer: ((vars: Record<string, unknown>, undef: string[]) => void) | null;
}
interface LogEntry { level: string; message: string; line: number; slot: number }

const G: any = globalThis;
const freeze = Object.freeze;
const getOwn = Object.getOwnPropertyDescriptor;
const getProto = Object.getPrototypeOf;
const ObjectProto = Object.prototype;
const isArray = Array.isArray;
const mathAbs = Math.abs, mathRound = Math.round, mathPow = Math.pow;
const numIsFinite = Number.isFinite;
const jsonStringify = JSON.stringify, jsonParse = JSON.parse;
const QUALITY = ["good", "uncertain", "bad"];
const MAX_STRING = 4096;
const MAX_LOGS = 1000;

const scripts: Array<ScriptRecord | undefined> = [];
// The runner of each slot, kept apart from its record: called as a plain function, its this is
// undefined, so script code never sees the record.
const runners: Array<Runner | undefined> = [];
// The op of the run in progress, or Cur.Idle / Cur.Init: the one cell the host's interrupt handler
// reads (api.cur[0]). A typed array's element is written without the property lookup an object's
// field costs, twice per run.
const CUR = new Int32Array(1);
CUR[0] = Cur.Idle;
let current: ScriptRecord | null = null;
// The tag table (see above). Plain arrays that only ever grow, so runners may keep references.
const V: TagValue[] = [], Q: number[] = [], S: number[] = [], C: number[] = [];
function ensureTable(size: number) {
  while (V.length < size) { V.push(void 0); Q.push(0); S.push(0); C.push(-1); }
}
let R = new Float64Array(4);
let rlen = Out.Header;
// The shared buffer (wire.ts Arg): the host writes the ops and the run call's arguments into it and
// reads the out buffer R from it through its own view of the module's memory; set by api.setShared.
let A = new Float64Array(Arg.Size);
let ST = new Int32Array(0);
let SF = new Float64Array(0);
// Numbers in guest memory (decision 0019, addendum 2): N[i] is tag i's number, NaN when it holds
// something else (then V[i] has it) or was never seen. Every op that writes V[i] writes N[i] too. For
// the direct indexes (DIR[i] 1: read by fast programs only, never published here) N is the truth: the
// host writes their numbers of a batch's first step straight into N (no op), the step code reads N
// first, and V[i] is brought up to date (syncDirect) only before a runner reads it. Set by the host
// (api.setNumbers), sized for the table before every run call.
let N = new Float64Array(0);
const DIR: number[] = [];
let DIRECT: number[] = [];
// By slot: 1 when a fast program's runner must see its direct inputs in V first.
const SYNC: number[] = [];
function clearDirect() {
  syncDirect(DIRECT);
  for (let n = 0; n < DIRECT.length; n++) DIR[DIRECT[n]] = 0;
  DIRECT = [];
  for (let n = 0; n < SYNC.length; n++) SYNC[n] = 0;
}
function syncDirect(list: readonly number[]) {
  for (let n = 0; n < list.length; n++) {
    const i = list[n];
    if (DIR[i] !== 1) continue;
    const x = N[i];
    if (x === x) V[i] = x;
  }
}
// ---- the fast path (see the host's step-code.ts) ----
// Bodies of fast programs, by slot; FASTQ[slot] 1 when the installed step code runs that slot.
const bodies: Array<Body | undefined> = [];
const FASTQ: number[] = [];
// The guest's own marks (runs the host did not mark in a block): by markAt(slot), a run's op + 1
// (0: not marked). Marked runs are consecutive run ops, so a run's ordinal is its op + markOb + 1
// and its quality its op's; markT is the batch's ops while the step code runs.
const D: number[] = [];
let markOb = 0;
let markT: Int32Array = new Int32Array(0);
// Every slot the step code runs has its body: the host's blocks of marks may be used.
let blocksOk = false;
// The out buffer's length when the step code was last called: it keeps the length in a local from
// there (and returns it), so after a throw or an interrupt its records are counted again (countRecords).
let stepFrom = 0;
let stepCode: StepCode | null = null;
let inStepCode = false;
// Marks may be left in D (a run the host stopped, a fatal error): cleared before the next call.
let marksLeft = false;
function ensureSlot(slot: number) {
  while (FASTQ.length <= slot) FASTQ.push(0);
  while (D.length <= markAt(slot)) D.push(0);
}
let curOrdinal = 0;
let curNow = 0;
let skips: number[] = [];
let capturing = false;
let logs: LogEntry[] = [];
let side: { strings: string[]; errors: GuestError[] } = { strings: [], errors: [] };

// ---- helpers (globals of scripts.md) ----
function flatten(xs: any[]): any[] {
  if (xs.length === 1 && isArray(xs[0])) return xs[0];
  return xs;
}
function sum(...xs: any[]): number {
  const values = flatten(xs);
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}
function avg(...xs: any[]): number | null {
  const values = flatten(xs);
  if (values.length === 0) return null;
  return sum(values) / values.length;
}
function clamp(x: any, lo: number, hi: number) {
  if (x === null || x === undefined) return x;
  return x < lo ? lo : x > hi ? hi : x;
}
function round(x: any, digits?: number) {
  if (typeof x !== "number") return x;
  const d = digits === undefined ? 0 : digits;
  const f = mathPow(10, d);
  const r = mathRound(mathAbs(x) * f) / f;
  return x < 0 ? -r : r;
}
function inputIndex(rec: ScriptRecord, name: string, fn: string): number {
  const i = rec.aliasIndex.get(name);
  if (i === undefined) throw new TypeError(fn + ": '" + String(name) + "' is not an input alias of this script");
  return rec.idx[i];
}
function isGood(name: string): boolean {
  const rec = current;
  if (rec === null) return false;
  return Q[inputIndex(rec, name, "isGood")] === 0;
}

function safeText(value: any, depth: number): string {
  const t = typeof value;
  if (value === null) return "null";
  if (t === "string") return value.length > 500 ? value.slice(0, 500) + "…" : value;
  if (t === "number" || t === "boolean" || t === "undefined" || t === "bigint") return String(value);
  if (t === "symbol") return "Symbol()";
  if (t === "function") return "[function]";
  if (depth > 1) return isArray(value) ? "[…]" : "{…}";
  if (isArray(value)) {
    const parts = [];
    for (let i = 0; i < value.length && i < 20; i++) parts.push(safeText(value[i], depth + 1));
    if (value.length > 20) parts.push("… " + (value.length - 20) + " more");
    return "[" + parts.join(", ") + "]";
  }
  const parts = [];
  const keys = Object.keys(value);
  for (let n = 0; n < keys.length; n++) {
    const key = keys[n];
    if (n >= 20) { parts.push("…"); break; }
    const d = getOwn(value, key);
    parts.push(key + ": " + (d && "value" in d ? safeText(d.value, depth + 1) : "[getter]"));
  }
  return "{" + parts.join(", ") + "}";
}
function callerLine() {
  const stack = new Error().stack || "";
  const m = /script\.js:(\d+)(?::(\d+))?/.exec(stack);
  return m ? Number(m[1]) : -1;
}
function logger(level: string) {
  return function (...args: unknown[]) {
    if (!capturing || logs.length >= MAX_LOGS) return;
    const parts = [];
    for (let i = 0; i < args.length; i++) parts.push(safeText(args[i], 0));
    logs.push({ level: level, message: parts.join(" "), line: callerLine(), slot: current ? current.slot : -1 });
  };
}
const console = freeze({ log: logger("log"), warn: logger("warn"), error: logger("error"), info: logger("log"), debug: logger("log") });

// ---- per-script ctx ----
function makeCtx(rec: ScriptRecord) {
  return freeze({
    get now() { return current === rec ? curNow : rec.initNow; },
    input(name: string) {
      const i = inputIndex(rec, name, "ctx.input");
      const value = V[i];
      return freeze({ value: value === void 0 ? null : value, ts: value === void 0 ? null : S[i], quality: QUALITY[Q[i]] });
    },
    previous(name: string) {
      const k = rec.outIndex.get(name);
      if (k === undefined) throw new TypeError("ctx.previous: '" + String(name) + "' is not an output variable or tag of this script");
      const value = V[rec.idx[rec.nIn + k]];
      return value === void 0 ? null : value;
    },
    setQuality(name: string, quality: string) {
      const k = rec.outIndex.get(name);
      if (k === undefined) throw new TypeError("ctx.setQuality: '" + String(name) + "' is not an output variable or tag of this script");
      const code = QUALITY.indexOf(quality);
      if (code < 0) throw new TypeError("ctx.setQuality: quality must be 'good', 'uncertain' or 'bad'");
      rec.qSet[k] = code;
    },
  });
}

// ---- what runners call (see compiler/generate-runner.ts) ----
// R is sized by the host for every output of every run in the batch, so no bounds check here.
function emit(index: number, value: TagValue, quality: number, now: number, step: number) {
  V[index] = value; Q[index] = quality; S[index] = now; C[index] = step;
  const at = rlen;
  R[at + Rec.Index] = index;
  if (typeof value === "number") { R[at + Rec.Tag] = quality; R[at + Rec.Number] = value; }
  else if (value === null) R[at + Rec.Tag] = quality + Out.KindUnit * RecKind.Null;
  else if (value === true) R[at + Rec.Tag] = quality + Out.KindUnit * RecKind.True;
  else if (value === false) R[at + Rec.Tag] = quality + Out.KindUnit * RecKind.False;
  else { R[at + Rec.Tag] = quality + Out.KindUnit * RecKind.String; R[at + Rec.Number] = side.strings.length; side.strings.push(value as string); }
  // The ordinal last: a record is counted (countRecords) only once it is whole.
  R[at + Rec.Ordinal] = curOrdinal;
  rlen = at + Out.Record;
}
// A failed run's outputs (scripts.md "When a script stops or fails"): null, bad, published once (an
// output already null and bad is left as it is). RecKind.Failed tells the host the value reports an error.
const FAIL = freeze({});
function failOut(index: number, now: number, step: number) {
  if (V[index] === null && Q[index] === QualityCode.Bad) return;
  V[index] = null; Q[index] = QualityCode.Bad; S[index] = now; C[index] = step;
  const at = rlen;
  R[at + Rec.Index] = index; R[at + Rec.Tag] = QualityCode.Bad + Out.KindUnit * RecKind.Failed;
  R[at + Rec.Ordinal] = curOrdinal;
  rlen = at + Out.Record;
}
function failOutputs(rec: ScriptRecord, now: number, step: number) {
  for (let k = 0; k < rec.nOut; k++) failOut(rec.idx[rec.nIn + k], now, step);
}
let badOutput: { k: number; problem: string } = { k: 0, problem: "" };
function bad(k: number, value: unknown) {
  badOutput = { k: k, problem: checkOutput(value) || "type unknown" };
  return 2;
}
function validOther(value: unknown) {
  return checkOutput(value) === null;
}


// ---- error description without trusting the thrown value ----
function findData(obj: any, key: string): string {
  let o = obj;
  for (let i = 0; o !== null && i < 8; i++) {
    const d = getOwn(o, key);
    if (d) return "value" in d && typeof d.value === "string" ? d.value : "";
    o = getProto(o);
  }
  return "";
}
function describe(error: unknown): { name: string; message: string; stack: string } {
  if (error !== null && typeof error === "object") {
    const name = findData(error, "name").slice(0, 100);
    const message = bounded(findData(error, "message"));
    const stack = findData(error, "stack").slice(0, 2000);
    if (name || message) return { name: name || "Error", message: message, stack: stack };
    return { name: "", message: "threw a value that is not an Error (" + (isArray(error) ? "an array" : "an object") + ")", stack: "" };
  }
  if (typeof error === "function") return { name: "", message: "threw a function", stack: "" };
  if (typeof error === "symbol") return { name: "", message: "threw a symbol", stack: "" };
  return { name: "", message: "threw " + (typeof error === "string" ? jsonStringify(error.length > 200 ? error.slice(0, 200) + "…" : error) : String(error)), stack: "" };
}
function bounded(text: string) {
  return text.length > 500 ? text.slice(0, 500) + "… (" + text.length + " characters)" : text;
}
function isFatal(info: { name: string; message: string }) {
  return info.name === "InternalError" && info.message === "out of memory";
}

// ---- output checks, quality and change detection ----
// What is wrong, as a code the host turns into a diagnostic (script-sandbox.ts, outputProblem).
function checkOutput(v: any): string | null {
  const t = typeof v;
  if (v === null || t === "boolean") return null;
  if (t === "number") return numIsFinite(v) ? null : "nonfinite " + String(v);
  if (t === "string") return v.length > MAX_STRING ? "long " + v.length : null;
  if (t === "undefined") return "undefined";
  return "type " + (isArray(v) ? "array" : t);
}

// ---- step trace of debug runs (the instrumented code calls it; see compiler/instrument-trace.ts) ----
const TRACE_MAX_STEPS = 10000;
// What a trace may hold, in array slots (an object's summary counts 20): bounds its memory in the sandbox.
const TRACE_MAX_UNITS = 400000;
const TRACE_HOLE = freeze({});
const tracers: Array<Tracer | null | undefined> = [];
const dateProto = Date.prototype, dateIso = Date.prototype.toISOString;
const mapProto = Map.prototype, setProto = Set.prototype;
const mapSize = getOwn(Map.prototype, "size")!.get!, setSize = getOwn(Set.prototype, "size")!.get!;
const objectCreate = Object.create, objectKeys = Object.keys;

// Steps go into one flat array: [site, values, skipped, site, values, skipped, ...]. The values array is the
// array the instrumented code built for this step (nothing else holds it); primitives stay as they
// are, objects are replaced by a summary made now (they may change later), and the indexes of
// values not to show (not yet initialised, functions) go to skipped (null when none).
function makeTracer(): Tracer {
  let buf: unknown[] = [];
  let steps = 0;
  let units = 0;
  // Summarising may reach script code (a Proxy trap); that code must not record steps of its own.
  let busy = false;
  const tracer: Tracer = {
    on: true,
    truncated: false,
    s(site, values) {
      if (busy) return;
      if (steps >= TRACE_MAX_STEPS || units >= TRACE_MAX_UNITS) {
        tracer.on = false;
        tracer.truncated = true;
        return;
      }
      busy = true;
      let skipped: number[] | null = null;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        switch (typeof v) {
          case "number":
            if (v - v !== 0) values[i] = String(v); // NaN, Infinity: JSON would say null
            break;
          case "string":
            if (v.length > 200) values[i] = v.slice(0, 200) + "…";
            break;
          case "boolean":
          case "undefined":
            break;
          case "object":
            if (v === TRACE_HOLE) (skipped ??= []).push(i);
            else if (v !== null) { values[i] = brief(v, 0); units += 20; }
            break;
          case "function":
            (skipped ??= []).push(i);
            break;
          default:
            values[i] = brief(v, 0);
        }
      }
      // One push: a run interrupted while summarising leaves no half step behind.
      buf.push(site, values, skipped);
      units += values.length + 3;
      steps++;
      busy = false;
    },
    x(value, site, values) {
      if (values) tracer.s(site, values);
      return value;
    },
    g(read) {
      try { return read(); } catch (error) { return TRACE_HOLE; }
    },
    take() {
      const text = '{"steps":' + jsonStringify(buf) + ',"truncated":' + (tracer.truncated ? "true" : "false") + "}";
      buf = [];
      steps = 0;
      units = 0;
      // An interrupt skips finally blocks and the end of s(): never leave the tracer busy.
      busy = false;
      tracer.on = true;
      tracer.truncated = false;
      return text;
    },
  };
  return tracer;
}

// A variable's value in a trace step: plain JSON, short, never running getters of the script.
function brief(value: any, depth: number): unknown {
  const t = typeof value;
  if (value === null || t === "boolean") return value;
  if (t === "number") return numIsFinite(value) ? value : String(value);
  if (t === "string") return value.length > 200 ? value.slice(0, 200) + "…" : value;
  if (t === "undefined") return null;
  if (t === "bigint") return String(value) + "n";
  if (t === "symbol") return "[symbol]";
  if (t === "function") return "[function]";
  try {
    const proto = getProto(value);
    if (proto === dateProto) { try { return dateIso.call(value); } catch (e) { return "[Invalid Date]"; } }
    if (proto === mapProto) return "[Map(" + mapSize.call(value) + ")]";
    if (proto === setProto) return "[Set(" + setSize.call(value) + ")]";
    if (isArray(value)) {
      const length = getOwn(value, "length")!.value;
      if (depth > 0) return "[array(" + length + ")]";
      const items = [];
      for (let i = 0; i < length && i < 20; i++) {
        const d = getOwn(value, i);
        items.push(d === undefined ? null : "value" in d ? brief(d.value, depth + 1) : "[getter]");
      }
      if (length > 20) items.push("… " + (length - 20) + " more");
      return items;
    }
    const name = findData(value, "name"), message = findData(value, "message");
    if (message && findData(value, "stack")) return (name || "Error") + ": " + message;
    if (depth > 0) return "[object]";
    const result = objectCreate(null);
    const keys = objectKeys(value);
    for (let n = 0; n < keys.length; n++) {
      const key = keys[n];
      if (n >= 20) { result["…"] = "more"; break; }
      const d = getOwn(value, key);
      result[key] = d === undefined ? null : "value" in d ? brief(d.value, depth + 1) : "[getter]";
    }
    return result;
  } catch (error) {
    return "[unreadable]";
  }
}

function failed(rec: ScriptRecord, op: number, error: GuestError) {
  error.op = op;
  error.ordinal = curOrdinal;
  error.slot = rec.slot;
  side.errors.push(error);
}
// Editor runs: what a calculation computed before it threw, where it is a valid value.
function reportPartial(rec: ScriptRecord) {
  let worst = 0;
  for (let i = 0; i < rec.nIn; i++) if (Q[rec.idx[i]] > worst) worst = Q[rec.idx[i]];
  for (let k = 0; k < rec.nOut; k++) {
    const value = rec.out[k];
    if (value === void 0 || checkOutput(value) !== null) continue;
    emit(rec.idx[rec.nIn + k], value as TagValue, worst, curNow, -1);
  }
}

// ---- the fast path: the step code's runs ----
/**
 * The end of the records written since `from` (stepFrom: where the step code was last called) when the
 * step code did not return its length (a throw, an interrupt): runMarked set every ordinal past it
 * to −1, and a record's ordinal is written last.
 */
function countRecords(from: number) {
  let p = from;
  while (p + Out.Record <= R.length && R[p + Rec.Ordinal] >= 0) p += Out.Record;
  return p;
}
/**
 * Runs the n marked runs (the step code), each failure handled as the op loop handles a runner's.
 * They write at most one record each (a fast program has one output): the room for n + 1 is marked
 * empty first (one native fill), so that countRecords stops after the last one.
 */
function runMarked(T: Int32Array, step: number, now: number, M: Int32Array | number[], b: number, ob: number, n: number) {
  const end = rlen + Out.Record * (n + 1);
  R.fill(-1, rlen, end < R.length ? end : R.length);
  inStepCode = marksLeft = true;
  markOb = ob;
  markT = T;
  for (;;) {
    stepFrom = rlen;
    try {
      rlen = stepCode!(R, step, now, M, b, ob, T, rlen);
      break;
    } catch (error) {
      // As in the op loop (see run): no finally, CUR[0] names the run that threw.
      let info;
      try { info = describe(error); } catch (ignored) { info = { name: "", message: "threw a value that could not be inspected", stack: "" }; }
      if (isFatal(info)) throw error;
      const op = CUR[0];
      CUR[0] = Cur.Idle;
      rlen = countRecords(stepFrom);
      const slot = T[Layout.OpStride * op + 1];
      const rec = scripts[slot]!;
      curOrdinal = op + 1 + ob;
      failOutputs(rec, now, step);
      failed(rec, op, { kind: "runtime", name: info.name, message: info.message, stack: info.stack });
      // The runs marked after it are still marked (M): the step code goes on with them.
    }
  }
  inStepCode = marksLeft = false;
  CUR[0] = Cur.Idle;
}
/**
 * What the step code hands back when a fast body's output is not a finite number: a valid other
 * value (a string, a boolean, null) is published as the runner's epilogue would; an invalid one
 * publishes null/bad and reports the failure.
 */
function slowOutput(slot: number, value: unknown, step: number, now: number, a: number) {
  rlen = a;
  const op = CUR[0];
  curOrdinal = op + 1 + markOb;
  const rec = scripts[slot]!;
  const index = rec.idx[rec.nIn];
  const quality = markT[Layout.OpStride * op + 3];
  const problem = checkOutput(value);
  if (problem !== null) {
    failOut(index, now, step);
    failed(rec, CUR[0], { kind: "output", output: 0, message: problem });
  } else if (Q[index] !== quality || V[index] !== value) emit(index, value as TagValue, quality, now, step);
  return rlen;
}

// ---- the host API ----
const api = {
  cur: CUR,
  define(slot: number, factory: (out: unknown[], cap: ScriptRecord["cap"], ctx: unknown, kit: unknown) => [Runner, ScriptRecord["reader"], ScriptRecord["writer"]?, Body?], metaJson: string) {
    const meta = jsonParse(metaJson);
    const nIn = meta.aliases.length;
    const nOut = meta.outputs.length;
    const idx = meta.idx;
    let size = 0;
    for (let i = 0; i < idx.length; i++) if (idx[i] + 1 > size) size = idx[i] + 1;
    ensureTable(size);
    const rec: ScriptRecord = {
      slot: slot, nIn: nIn, nOut: nOut, reader: null, writer: null, idx: freeze(idx),
      out: new Array(nOut), cap: { f: null, t: meta.trace ? makeTracer() : null },
      aliasIndex: new Map(), outIndex: new Map(), initNow: meta.now,
      qSet: new Int8Array(nOut).fill(-1),
    };
    meta.aliases.forEach(function (alias: string, i: number) { rec.aliasIndex.set(alias, i); });
    meta.outputs.forEach(function (output: { variable: string; tag: string }, k: number) {
      rec.outIndex.set(output.variable, k);
      rec.outIndex.set(output.tag, k);
    });
    // Nothing is direct until the host installs the next step code (setStep).
    clearDirect();
    // Values the host already knows: inputs seen, outputs published (for change detection, ctx.previous).
    // Indexed loops only from here on: an iterator prototype is the kind of thing a script could try to poison.
    for (let n = 0; n < meta.seed.length; n++) {
      const seed = meta.seed[n];
      const i = seed[0];
      V[i] = seed[1]; S[i] = seed[2]; Q[i] = seed[3];
      N[i] = typeof seed[1] === "number" ? seed[1] : NaN;
    }
    // Kept apart from scripts[]: the trace of an initCode that fails must still be readable.
    tracers[slot] = rec.cap.t;
    const ctx = makeCtx(rec);
    current = rec;
    CUR[0] = Cur.Init;
    try {
      const made = factory(rec.out, rec.cap, ctx, freeze({ V: V, Q: Q, C: C, emit: emit, bad: bad, ok: validOther, failOut: failOut, FAIL: FAIL, QS: rec.qSet, I: rec.idx, fill: fillInPlace }));
      runners[slot] = made[0];
      rec.reader = made[1];
      rec.writer = made[2] || null;
      ensureSlot(slot);
      bodies[slot] = typeof made[3] === "function" ? (made[3] as Body) : undefined;
      // The step code in place knows the old scripts only: the host installs a new one.
      FASTQ[slot] = 0;
      stepCode = null;
    } finally {
      current = null;
    }
    scripts[slot] = rec;
  },
  drop(slot: number) { scripts[slot] = undefined; runners[slot] = undefined; tracers[slot] = undefined; bodies[slot] = undefined; if (slot < FASTQ.length) FASTQ[slot] = 0; },
  /**
   * Installs the sandbox's step code: `factory` (generated by the host from numbers only) gets the
   * tables and the bodies; `slotsJson` lists the slots it runs.
   */
  setStep(factory: (kit: unknown) => StepCode, slotsJson: string, directJson: string) {
    const slots: number[] = jsonParse(slotsJson);
    for (let n = 0; n < FASTQ.length; n++) FASTQ[n] = 0;
    stepCode = null;
    clearDirect();
    const direct: number[] = jsonParse(directJson);
    // A new direct index: N takes what V holds (an output published here before, a seed).
    for (let n = 0; n < direct.length; n++) {
      const i = direct[n];
      while (DIR.length <= i) DIR.push(0);
      DIR[i] = 1;
      N[i] = typeof V[i] === "number" ? (V[i] as number) : NaN;
    }
    DIRECT = direct;
    for (let n = 0; n < slots.length; n++) {
      const rec = scripts[slots[n]];
      let reads = 0;
      for (let k = 0; rec !== undefined && k < rec.nIn; k++) if (DIR[rec.idx[k]] === 1) reads = 1;
      while (SYNC.length <= slots[n]) SYNC.push(0);
      SYNC[slots[n]] = reads;
    }
    const made = factory(freeze({ V: V, N: N, Q: Q, S: S, C: C, CUR: CUR, B: bodies, slow: slowOutput }));
    blocksOk = true;
    for (let n = 0; n < slots.length; n++) {
      const slot = slots[n];
      ensureSlot(slot);
      if (bodies[slot] !== undefined) FASTQ[slot] = 1;
      else blocksOk = false;
    }
    stepCode = made;
  },
  takeTrace(slot: number) {
    const tracer = tracers[slot];
    if (!tracer) return "null";
    if (scripts[slot] === undefined) tracers[slot] = undefined;
    return tracer.take();
  },
  setCapture(on: boolean) { capturing = !!on; logs = []; },
  takeLogs() { const taken = logs; logs = []; return jsonStringify(taken); },
  /**
   * The shared buffer (wire.ts Arg), allocated by the host: the views stay until the next one (the
   * host hands over a larger buffer when a batch does not fit).
   */
  setShared(buffer: ArrayBuffer, outCap: number, opCap: number) {
    const out = 8 * Arg.Size;
    const ops = out + 8 * outCap;
    A = new Float64Array(buffer, 0, Arg.Size);
    R = new Float64Array(buffer, out, outCap);
    ST = new Int32Array(buffer, ops, Layout.OpStride * opCap);
    SF = new Float64Array(buffer, ops + 4 * Layout.OpStride * opCap, Layout.OpStride * opCap);
  },
  /**
   * The numbers (N above) in a buffer the host allocated for `size` tags: what N held is kept, the
   * rest NaN. The step code keeps its N: the host installs step code after this when both change.
   */
  setNumbers(buffer: ArrayBuffer) {
    const next = new Float64Array(buffer);
    next.fill(NaN);
    next.set(N.length <= next.length ? N : N.subarray(0, next.length));
    N = next;
    stepCode = null;
    for (let n = 0; n < FASTQ.length; n++) FASTQ[n] = 0;
  },
  /** Runs the batch the host wrote into the shared buffer, from its arguments there (wire.ts Arg). */
  run(stringsJson: string | undefined) {
    const count = A[Arg.Count] | 0;
    const T = ST, F = SF;
    const strings: string[] = stringsJson ? jsonParse(stringsJson) : [];
    ensureTable(A[Arg.TableSize] | 0);
    side = { strings: [], errors: [] };
    skips = [];
    rlen = Out.Header;
    const first = A[Arg.StartOp] | 0;
    let ordinal = A[Arg.FirstOrdinal] | 0;
    let step = A[Arg.FirstStep], now = A[Arg.FirstNow];
    const maxRuns = A[Arg.MaxRuns] | 0;
    // ctx.now of the runs that follow: set per step, not per run.
    curNow = now;
    let next = count;
    const lastOrdinal = ordinal + maxRuns;
    // Fast runs are marked (D) and run by the step code together, in slot order: a run is
    // marked only when its slot is above the last one marked, so that order is the stream's order
    // (a run stopped by its deadline has every run before it done and none after it). The host
    // marks most of them itself (a marks op: its block), which spares a loop turn per run.
    let marked = -1;
    let markedOb = 0;
    let markedN = 0;
    if (marksLeft) { for (let n = 0; n < D.length; n++) D[n] = 0; marksLeft = false; }
    const fast = stepCode !== null && !capturing;
    for (let op = first, q = Layout.OpStride * first; op < count; op++, q += Layout.OpStride) {
      const type = T[q];
      if (fast) {
        if (type === Op.Run) {
          const slot = T[q + 1];
          if (slot > marked && FASTQ[slot] === 1 && T[q + 2] === RunMode.Unconditional && T[q + 3] >= 0) {
            if (ordinal === lastOrdinal) { next = op; break; }
            if (marked < 0) { markedOb = ordinal - op - 1; markedN = 0; }
            markedN++;
            D[markAt(slot)] = op + 1;
            ordinal++;
            marked = slot;
            continue;
          }
        }
        if (marked >= 0) { runMarked(T, step, now, D, 0, markedOb, markedN); marked = -1; }
      }
      if (type === Op.Values) {
        // Value ops come in runs (a step's numbers): one tight loop over them.
        for (;;) {
          V[T[q + 1]] = N[T[q + 1]] = F[q];
          const j = T[q + 2];
          if (j !== Layout.NoIndex) {
            V[j] = N[j] = F[q + 1];
            const k = T[q + 3];
            if (k !== Layout.NoIndex) V[k] = N[k] = F[q + 2];
          }
          if (op + 1 === count || T[q + Layout.OpStride] !== Op.Values) break;
          op++;
          q += Layout.OpStride;
        }
        continue;
      }
      // Runs are the next most frequent op: one comparison tells them from updates and steps.
      if (type !== Op.Run) {
        if (type === Op.Update) {
          const i = T[q + 1];
          const kind = T[q + 2];
          V[i] = kind === Kind.Number ? F[q] : kind === Kind.Null ? null : kind === Kind.True ? true : kind === Kind.False ? false : strings[F[q] | 0];
          Q[i] = T[q + 3]; S[i] = F[q + 1]; C[i] = F[q + 2];
          N[i] = kind === Kind.Number ? F[q] : NaN;
        } else if (type === Op.Step) {
          step = F[q]; now = curNow = F[q + 1];
        } else if (type === Op.Marks) {
          // The host's block of marks for the n run ops after it (see wire.ts): the step code runs
          // them in one go when it can take them all; else they are read one by one, as any run.
          const n = T[q + 1];
          const firstRun = op + 1 + T[q + 2];
          if (fast && blocksOk && lastOrdinal - ordinal >= n) {
            runMarked(T, step, now, T, q + Layout.OpStride, ordinal - firstRun - 1, n);
            ordinal += n;
            op = firstRun + n - 1;
          } else op = firstRun - 1;
          q = Layout.OpStride * op;
        }
        continue;
      }
      // At most maxRuns runs per call: the host hears from the sandbox regularly (its watchdog).
      if (ordinal === lastOrdinal) { next = op; break; }
      const slot = T[q + 1];
      const run = runners[slot];
      curOrdinal = ordinal++;
      if (run === void 0) continue;
      if (SYNC[slot] === 1) syncDirect(scripts[slot]!.idx);
      CUR[0] = op;
      current = scripts[slot]!;
      let done;
      // No finally here: an interrupt skips finally blocks too, and CUR[0] must still name the
      // run that was stopped when the host reads it.
      try {
        done = run(step, now, T[q + 2], T[q + 3]);
      } catch (error) {
        let info;
        // Inspecting the thrown value may reach script code (a Proxy's traps): that must not break
        // the batch. A trap that loops is stopped by the deadline like any script code.
        try { info = describe(error); } catch (ignored) { info = { name: "", message: "threw a value that could not be inspected", stack: "" }; }
        if (isFatal(info)) throw error;
        CUR[0] = Cur.Idle;
        const rec = current!;
        if (rec.cap.f !== null) {
          try { rec.cap.f(); } catch (ignored) {}
          reportPartial(rec);
        } else failOutputs(rec, now, step);
        current = null;
        failed(rec, op, { kind: "runtime", name: info.name, message: info.message, stack: info.stack });
        continue;
      }
      CUR[0] = Cur.Idle;
      if (done !== Ran.Ok) {
        if (done === Ran.Skipped) skips.push(curOrdinal);
        else failed(current!, op, { kind: "output", output: badOutput.k, message: badOutput.problem });
      }
      current = null;
    }
    if (marked >= 0) runMarked(T, step, now, D, 0, markedOb, markedN);
    R[Out.Records] = (rlen - Out.Header) / Out.Record;
    R[Out.Skips] = skips.length;
    R[Out.Side] = side.errors.length + side.strings.length;
    R[Out.Next] = next;
    CUR[0] = Cur.Idle;
  },
  /**
   * After a run the host stopped (timeout): its outputs become null/bad where they are not already;
   * returns the table indexes changed (engine runs only: an editor run's outputs are left alone).
   */
  fail(slot: number, step: number, now: number) {
    const rec = scripts[slot];
    const changed: number[] = [];
    if (rec === undefined || rec.cap.f !== null) return jsonStringify(changed);
    for (let k = 0; k < rec.nOut; k++) {
      const i = rec.idx[rec.nIn + k];
      if (V[i] === null && Q[i] === QualityCode.Bad) continue;
      V[i] = null; Q[i] = QualityCode.Bad; S[i] = now; C[i] = step;
      changed.push(i);
    }
    return jsonStringify(changed);
  },
  /** After an interrupt: how many records R holds so far, and the runs skipped so far. */
  partial() {
    if (inStepCode) { rlen = countRecords(stepFrom); inStepCode = false; }
    R[Out.Records] = (rlen - Out.Header) / Out.Record;
    R[Out.Skips] = skips.length;
    R[Out.Side] = side.errors.length + side.strings.length;
    return jsonStringify(skips);
  },
  side() { return jsonStringify(side); },
  skipped() { return jsonStringify(skips); },
  // Scale-out (scale-out.md): a script's static variables as JSON, to continue on another worker.
  // {"vars":{…},"undef":[…]} or {"bad":name,"why":text} when one does not serialise as JSON.
  // Top-level functions and classes are code: initCode makes them again.
  dumpState(slot: number) {
    const rec = scripts[slot];
    if (!rec || !rec.reader) return jsonStringify({ vars: {}, undef: [] });
    const vars = rec.reader();
    const out: Record<string, unknown> = {};
    const undef: string[] = [];
    const names = Object.keys(vars);
    for (let n = 0; n < names.length; n++) {
      const name = names[n];
      const d = getOwn(vars, name);
      const value = d ? d.value : void 0;
      if (typeof value === "function") continue;
      if (value === void 0) { undef.push(name); continue; }
      const why = unserialisable(value, 0, []);
      if (why !== null) return jsonStringify({ bad: name, why: why });
      out[name] = value;
    }
    const text = jsonStringify({ vars: out, undef: undef });
    if (text.length > 1048576) return jsonStringify({ bad: names.join(", "), why: "more than 1 MB of JSON" });
    return text;
  },
  loadState(slot: number, json: string) {
    const rec = scripts[slot];
    if (!rec || !rec.writer) return "0";
    const saved = jsonParse(json);
    rec.writer(saved.vars || {}, saved.undef || []);
    return "1";
  },
  readStatic(slot: number) {
    const rec = scripts[slot];
    if (!rec) return "{}";
    const vars = rec.reader!();
    const result: Record<string, unknown> = {};
    const names = Object.keys(vars);
    for (let n = 0; n < names.length; n++) result[names[n]] = plain(vars[names[n]], 0);
    return jsonStringify(result);
  },
};

// Why a static variable's value would not come back the same from JSON (null when it would).
function unserialisable(value: any, depth: number, path: unknown[]): string | null {
  const t = typeof value;
  if (value === null || t === "boolean" || t === "string") return null;
  if (t === "number") return numIsFinite(value) ? null : "holds " + String(value) + ", which JSON cannot carry";
  if (t === "undefined") return "holds undefined inside an array or object";
  if (t === "function") return "holds a function";
  if (t !== "object") return "holds a " + t;
  if (depth > 32) return "is nested more than 32 levels deep";
  for (let n = 0; n < path.length; n++) if (path[n] === value) return "refers to itself";
  const proto = getProto(value);
  const array = isArray(value);
  if (!array && proto !== ObjectProto && proto !== null) {
    const ctor = proto && getOwn(proto, "constructor");
    const name = ctor && typeof ctor.value === "function" ? ctor.value.name : "";
    return "holds " + (name ? "a " + name : "an object of a class") + ", which JSON cannot carry (use plain objects and arrays)";
  }
  path.push(value);
  const keys = Object.keys(value);
  if (array && keys.length !== value.length) { path.pop(); return "holds an array with holes or extra properties"; }
  for (let n = 0; n < keys.length; n++) {
    const d = getOwn(value, keys[n]);
    if (!d || !("value" in d)) { path.pop(); return "holds a getter or setter (" + keys[n] + ")"; }
    const why = unserialisable(d.value, depth + 1, path);
    if (why !== null) { path.pop(); return why; }
  }
  path.pop();
  return null;
}

// A const static variable cannot be assigned again: its array or object is filled in place.
function fillInPlace(target: any, source: any) {
  if (isArray(target) && isArray(source) && !Object.isFrozen(target)) {
    target.length = 0;
    for (let n = 0; n < source.length; n++) target.push(source[n]);
  } else if (target !== null && typeof target === "object" && !isArray(target) && source !== null && typeof source === "object" && !isArray(source) && !Object.isFrozen(target)) {
    const old = Object.keys(target);
    for (let n = 0; n < old.length; n++) delete target[old[n]];
    const keys = Object.keys(source);
    for (let n = 0; n < keys.length; n++) target[keys[n]] = source[keys[n]];
  }
}

// Values of static variables for the editor: plain JSON, summarised, never running getters.
function plain(value: any, depth: number): unknown {
  const t = typeof value;
  if (value === null || t === "boolean" || t === "string") return t === "string" && value.length > 1000 ? value.slice(0, 1000) + "…" : value;
  if (t === "number") return numIsFinite(value) ? value : String(value);
  if (t === "undefined") return null;
  if (t === "function") return "[function]";
  if (t === "bigint") return String(value) + "n";
  if (t === "symbol") return "[symbol]";
  if (depth >= 2) return isArray(value) ? "[array(" + value.length + ")]" : "[object]";
  if (isArray(value)) {
    const items: unknown[] = [];
    for (let i = 0; i < value.length && i < 50; i++) items.push(plain(value[i], depth + 1));
    if (value.length > 50) items.push("… " + (value.length - 50) + " more");
    return items;
  }
  const result: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (let n = 0; n < keys.length; n++) {
    const key = keys[n];
    if (n >= 50) { result["…"] = "more"; break; }
    const d = getOwn(value, key);
    result[key] = d && "value" in d ? plain(d.value, depth + 1) : "[getter]";
  }
  return result;
}

// ---- lock-down ----
function refuse() { throw new EvalError("code generation is not available in scripts"); }
const FunctionCtors = [
  getProto(function () {}),
  getProto(function* () {}),
  getProto(async function () {}),
  getProto(async function* () {}),
];
for (const proto of FunctionCtors) {
  Object.defineProperty(proto, "constructor", { value: refuse, writable: false, configurable: false });
}
for (const name of ["eval", "Function", "Promise", "WeakRef", "FinalizationRegistry", "SharedArrayBuffer", "Atomics"]) {
  delete G[name];
}
const helpers: Record<string, unknown> = { clamp: clamp, avg: avg, sum: sum, round: round, isGood: isGood, console: console };
for (const name of Object.keys(helpers)) {
  Object.defineProperty(G, name, { value: freeze(helpers[name]), writable: false, enumerable: false, configurable: false });
}
const seen = new Set<unknown>();
function deepFreeze(value: any): void {
  if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return;
  seen.add(value);
  freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    const d = getOwn(value, key);
    if (!d) continue;
    if ("value" in d) deepFreeze(d.value);
    if (d.get) deepFreeze(d.get);
    if (d.set) deepFreeze(d.set);
  }
  deepFreeze(getProto(value));
}
deepFreeze(G);
// Intrinsics no global property leads to: iterator and generator prototypes. Scripts share them, so
// they are frozen too (a poisoned next() would reach every script's for…of).
function* generatorFunction() {}
async function* asyncGeneratorFunction() {}
const hiddenIntrinsics: unknown[] = [
  getProto([][Symbol.iterator]()),
  getProto(""[Symbol.iterator]()),
  getProto(new Map().entries()),
  getProto(new Set().values()),
  getProto("a".matchAll(/a/g)),
  getProto(generatorFunction),
  getProto(generatorFunction()),
  getProto(asyncGeneratorFunction),
  getProto(asyncGeneratorFunction()),
];
if (typeof G.Iterator === "function") {
  try { hiddenIntrinsics.push(getProto(([].values() as any).map(function (x: unknown) { return x; }))); } catch (ignored) {}
  try { hiddenIntrinsics.push(getProto(G.Iterator.from({ next: function () { return { done: true }; } }))); } catch (ignored) {}
}
for (let n = 0; n < hiddenIntrinsics.length; n++) deepFreeze(hiddenIntrinsics[n]);

export default api;
