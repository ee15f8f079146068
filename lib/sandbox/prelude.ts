/**
 * Code that runs inside every QuickJS context before any script: the helpers of scripts.md, `ctx`,
 * the batch dispatcher the host drives, and the lock-down (no code generation, frozen built-ins, a
 * frozen global object).
 *
 * The prelude evaluates to the host API object. It is never stored on the global object, so script
 * code cannot reach it; the host keeps the only handle.
 *
 * Wire format of a batch (one Float64Array in, one out — see script-sandbox.ts):
 *   in:  [jobCount, then per job: slot, now, nInputs, then per input: type, number, ts, quality]
 *   out: per job: [status, changedCount, then per changed output: index, type, number, quality]
 * type: 0 null, 1 number, 2 false, 3 true, 4 string (number = index into the strings list)
 * status: 0 ok, 1 failed (details in side.errors), 2 not run (unknown slot)
 * quality: 0 good, 1 uncertain, 2 bad
 */
export const PRELUDE_FILE = 'prelude.js';

export const PRELUDE = String.raw`(function () {
"use strict";
const G = globalThis;
const freeze = Object.freeze;
const getOwn = Object.getOwnPropertyDescriptor;
const getProto = Object.getPrototypeOf;
const isArray = Array.isArray;
const mathAbs = Math.abs, mathRound = Math.round, mathPow = Math.pow;
const numIsFinite = Number.isFinite;
const jsonStringify = JSON.stringify, jsonParse = JSON.parse;
const QUALITY = ["good", "uncertain", "bad"];
const MAX_STRING = 4096;
const MAX_LOGS = 1000;

const scripts = [];
const state = { cur: -1, outBuffer: null };
let current = null;
let capturing = false;
let logs = [];
let side = { strings: [], errors: [] };

// ---- helpers (globals of scripts.md) ----
function flatten(xs) {
  if (xs.length === 1 && isArray(xs[0])) return xs[0];
  return xs;
}
function sum(...xs) {
  const values = flatten(xs);
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}
function avg(...xs) {
  const values = flatten(xs);
  if (values.length === 0) return null;
  return sum(values) / values.length;
}
function clamp(x, lo, hi) {
  if (x === null || x === undefined) return x;
  return x < lo ? lo : x > hi ? hi : x;
}
function round(x, digits) {
  if (typeof x !== "number") return x;
  const d = digits === undefined ? 0 : digits;
  const f = mathPow(10, d);
  const r = mathRound(mathAbs(x) * f) / f;
  return x < 0 ? -r : r;
}
function inputIndex(rec, name, fn) {
  const i = rec.aliasIndex.get(name);
  if (i === undefined) throw new TypeError(fn + ": '" + String(name) + "' is not an input alias of this script");
  return i;
}
function isGood(name) {
  const rec = current;
  if (rec === null) return false;
  return rec.q[inputIndex(rec, name, "isGood")] === 0;
}

function safeText(value, depth) {
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
  let n = 0;
  for (const key of Object.keys(value)) {
    if (n++ >= 20) { parts.push("…"); break; }
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
function logger(level) {
  return function (...args) {
    if (!capturing || logs.length >= MAX_LOGS) return;
    const parts = [];
    for (let i = 0; i < args.length; i++) parts.push(safeText(args[i], 0));
    logs.push({ level: level, message: parts.join(" "), line: callerLine(), slot: current ? current.slot : -1 });
  };
}
const console = freeze({ log: logger("log"), warn: logger("warn"), error: logger("error"), info: logger("log"), debug: logger("log") });

// ---- per-script ctx ----
function makeCtx(rec) {
  return freeze({
    get now() { return rec.now; },
    input(name) {
      const i = inputIndex(rec, name, "ctx.input");
      return freeze({ value: rec.vals[i], ts: rec.ts[i], quality: QUALITY[rec.q[i]] });
    },
    previous(name) {
      const k = rec.outIndex.get(name);
      if (k === undefined) throw new TypeError("ctx.previous: '" + String(name) + "' is not an output variable or tag of this script");
      return rec.hasPrev[k] ? rec.prev[k] : null;
    },
    setQuality(name, quality) {
      const k = rec.outIndex.get(name);
      if (k === undefined) throw new TypeError("ctx.setQuality: '" + String(name) + "' is not an output variable or tag of this script");
      const code = QUALITY.indexOf(quality);
      if (code < 0) throw new TypeError("ctx.setQuality: quality must be 'good', 'uncertain' or 'bad'");
      rec.qSet[k] = code;
    },
  });
}

// ---- error description without trusting the thrown value ----
function findData(obj, key) {
  let o = obj;
  for (let i = 0; o !== null && i < 8; i++) {
    const d = getOwn(o, key);
    if (d) return "value" in d && typeof d.value === "string" ? d.value : "";
    o = getProto(o);
  }
  return "";
}
function describe(error) {
  if (error !== null && typeof error === "object") {
    const name = findData(error, "name");
    const message = findData(error, "message");
    const stack = findData(error, "stack").slice(0, 2000);
    if (name || message) return { name: name || "Error", message: message, stack: stack };
    return { name: "", message: "threw a value that is not an Error (" + (isArray(error) ? "an array" : "an object") + ")", stack: "" };
  }
  if (typeof error === "function") return { name: "", message: "threw a function", stack: "" };
  if (typeof error === "symbol") return { name: "", message: "threw a symbol", stack: "" };
  return { name: "", message: "threw " + (typeof error === "string" ? jsonStringify(error.length > 200 ? error.slice(0, 200) + "…" : error) : String(error)), stack: "" };
}
function isFatal(info) {
  return info.name === "InternalError" && info.message === "out of memory";
}

// ---- output checks, quality and change detection ----
function checkOutput(rec, k, v) {
  const t = typeof v;
  if (v === null || t === "boolean") return null;
  if (t === "number") return numIsFinite(v) ? null : String(v) + " is not a finite number";
  if (t === "string") return v.length > MAX_STRING ? "a string of " + v.length + " characters is longer than 4 KB" : null;
  if (t === "undefined") return "it is undefined (the variable was never assigned)";
  if (t === "function") return "it is a function";
  if (t === "bigint") return "it is a BigInt; use a Number";
  if (t === "symbol") return "it is a symbol";
  return "it is " + (isArray(v) ? "an array" : "an object") + "; outputs must be numbers, booleans, strings or null";
}

function runJob(rec, job, out, o) {
  current = rec;
  const nOut = rec.nOut;
  const vals = rec.vals;
  rec.qSet.fill(-1);
  for (let k = 0; k < nOut; k++) rec.out[k] = undefined;
  let threw = null;
  try {
    switch (rec.nIn) {
      case 0: rec.calc(); break;
      case 1: rec.calc(vals[0]); break;
      case 2: rec.calc(vals[0], vals[1]); break;
      case 3: rec.calc(vals[0], vals[1], vals[2]); break;
      case 4: rec.calc(vals[0], vals[1], vals[2], vals[3]); break;
      case 5: rec.calc(vals[0], vals[1], vals[2], vals[3], vals[4]); break;
      default: rec.calc.apply(undefined, vals); break;
    }
  } catch (error) {
    threw = describe(error);
    if (isFatal(threw)) throw error;
    if (rec.cap.f !== null) { try { rec.cap.f(); } catch (ignored) {} }
  }
  let worst = 0;
  for (let i = 0; i < rec.nIn; i++) if (rec.q[i] > worst) worst = rec.q[i];
  const header = o;
  o += 2;
  let changed = 0;
  let badOutput = null;
  for (let k = 0; k < nOut; k++) {
    const v = rec.out[k];
    if (threw !== null && v === undefined) continue;
    const problem = checkOutput(rec, k, v);
    if (problem !== null) {
      if (badOutput === null) badOutput = { k: k, problem: problem };
      continue;
    }
    const q = rec.qSet[k] >= 0 ? rec.qSet[k] : worst;
    if (threw === null) {
      const p = rec.prev[k];
      const same = rec.hasPrev[k] && rec.prevQ[k] === q &&
        (typeof v === "number" && typeof p === "number" ? mathAbs(v - p) <= rec.deadband[k] : v === p);
      if (same && !rec.reportAll) continue;
      if (!same) { rec.prev[k] = v; rec.prevQ[k] = q; rec.hasPrev[k] = true; }
    }
    out[o] = k;
    if (v === null) { out[o + 1] = 0; out[o + 2] = 0; }
    else if (typeof v === "number") { out[o + 1] = 1; out[o + 2] = v; }
    else if (typeof v === "boolean") { out[o + 1] = v ? 3 : 2; out[o + 2] = 0; }
    else { out[o + 1] = 4; out[o + 2] = side.strings.length; side.strings.push(v); }
    out[o + 3] = q;
    o += 4;
    changed++;
  }
  if (threw !== null) {
    side.errors.push({ job: job, kind: "runtime", name: threw.name, message: threw.message, stack: threw.stack });
  } else if (badOutput !== null) {
    side.errors.push({ job: job, kind: "output", output: badOutput.k, message: badOutput.problem });
  }
  out[header] = threw !== null || badOutput !== null ? 1 : 0;
  out[header + 1] = changed;
  current = null;
  return o;
}

// ---- step trace of debug runs (the instrumented code calls it; see compiler/instrument-trace.ts) ----
const TRACE_MAX_STEPS = 10000;
// What a trace may hold, in array slots (an object's summary counts 20): bounds its memory in the sandbox.
const TRACE_MAX_UNITS = 400000;
const TRACE_HOLE = freeze({});
const tracers = [];
const dateProto = Date.prototype, dateIso = Date.prototype.toISOString;
const mapProto = Map.prototype, setProto = Set.prototype;
const mapSize = getOwn(Map.prototype, "size").get, setSize = getOwn(Set.prototype, "size").get;
const objectCreate = Object.create, objectKeys = Object.keys;

// Steps go into one flat array: [site, values, skipped, site, values, skipped, ...]. The values array is the
// array the instrumented code built for this step (nothing else holds it); primitives stay as they
// are, objects are replaced by a summary made now (they may change later), and the indexes of
// values not to show (not yet initialised, functions) go to skipped (null when none).
function makeTracer() {
  let buf = [];
  let steps = 0;
  let units = 0;
  // Summarising may reach script code (a Proxy trap); that code must not record steps of its own.
  let busy = false;
  const tracer = {
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
      let skipped = null;
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
function brief(value, depth) {
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
      const length = getOwn(value, "length").value;
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
    let n = 0;
    for (const key of objectKeys(value)) {
      if (n++ >= 20) { result["…"] = "more"; break; }
      const d = getOwn(value, key);
      result[key] = d === undefined ? null : "value" in d ? brief(d.value, depth + 1) : "[getter]";
    }
    return result;
  } catch (error) {
    return "[unreadable]";
  }
}

// ---- the host API ----
const api = {
  state: state,
  define(slot, factory, metaJson) {
    const meta = jsonParse(metaJson);
    const nIn = meta.aliases.length;
    const nOut = meta.outputs.length;
    const rec = {
      slot: slot, nIn: nIn, nOut: nOut, calc: null, reader: null,
      out: new Array(nOut), cap: { f: null, t: meta.trace ? makeTracer() : null },
      aliasIndex: new Map(), outIndex: new Map(),
      vals: new Array(nIn).fill(null), ts: new Float64Array(nIn), q: new Uint8Array(nIn), now: 0,
      prev: new Array(nOut).fill(null), prevQ: new Uint8Array(nOut), hasPrev: new Array(nOut).fill(false),
      qSet: new Int8Array(nOut), deadband: new Float64Array(nOut), reportAll: !!meta.reportAll,
    };
    meta.aliases.forEach(function (alias, i) { rec.aliasIndex.set(alias, i); });
    meta.outputs.forEach(function (output, k) {
      rec.outIndex.set(output.variable, k);
      rec.outIndex.set(output.tag, k);
      rec.deadband[k] = output.deadband || 0;
      if (output.hasPrev) { rec.prev[k] = output.prev; rec.prevQ[k] = output.prevQ; rec.hasPrev[k] = true; }
    });
    rec.now = meta.now;
    // Kept apart from scripts[]: the trace of an initCode that fails must still be readable.
    tracers[slot] = rec.cap.t;
    const ctx = makeCtx(rec);
    current = rec;
    state.cur = -2;
    try {
      const pair = factory(rec.out, rec.cap, ctx);
      rec.calc = pair[0];
      rec.reader = pair[1];
    } finally {
      current = null;
    }
    scripts[slot] = rec;
  },
  drop(slot) { scripts[slot] = undefined; tracers[slot] = undefined; },
  takeTrace(slot) {
    const tracer = tracers[slot];
    if (!tracer) return "null";
    if (scripts[slot] === undefined) tracers[slot] = undefined;
    return tracer.take();
  },
  setCapture(on) { capturing = !!on; logs = []; },
  takeLogs() { const taken = logs; logs = []; return jsonStringify(taken); },
  run(input, stringsJson, startJob) {
    const buf = new Float64Array(input);
    const strings = stringsJson ? jsonParse(stringsJson) : null;
    // Every number read from buf is a double: "| 0" makes the indexes integers again, without
    // which QuickJS looks up scripts[...] and buf[...] through property names, ~6x slower.
    const jobs = buf[0] | 0;
    let size = 0;
    let p = 1;
    const starts = new Array(jobs);
    for (let j = 0; j < jobs; j++) {
      starts[j] = p;
      const rec = scripts[buf[p] | 0];
      size += 2 + 4 * (rec ? rec.nOut : 0);
      p += 3 + 4 * (buf[p + 2] | 0);
    }
    const out = new Float64Array(size);
    state.outBuffer = out.buffer;
    side = { strings: [], errors: [] };
    let o = 0;
    for (let j = 0; j < jobs; j++) {
      p = starts[j];
      const rec = scripts[buf[p] | 0];
      if (j < startJob || rec === undefined) {
        if (rec === undefined) { out[o] = 2; out[o + 1] = 0; }
        o += 2 + 4 * (rec ? rec.nOut : 0);
        continue;
      }
      rec.now = buf[p + 1];
      const nIn = buf[p + 2] | 0;
      p += 3;
      for (let i = 0; i < nIn; i++, p += 4) {
        const type = buf[p];
        rec.vals[i] = type === 1 ? buf[p + 1] : type === 0 ? null : type === 2 ? false : type === 3 ? true : strings[buf[p + 1] | 0];
        rec.ts[i] = buf[p + 2];
        rec.q[i] = buf[p + 3];
      }
      state.cur = j;
      const end = runJob(rec, j, out, o);
      o += 2 + 4 * rec.nOut;
      // A job's slots are fixed-size; runJob may have used fewer.
      void end;
    }
    state.cur = -1;
    return out.buffer;
  },
  side() { return jsonStringify(side); },
  readStatic(slot) {
    const rec = scripts[slot];
    if (!rec) return "{}";
    const vars = rec.reader();
    const result = {};
    for (const name of Object.keys(vars)) result[name] = plain(vars[name], 0);
    return jsonStringify(result);
  },
};

// Values of static variables for the editor: plain JSON, summarised, never running getters.
function plain(value, depth) {
  const t = typeof value;
  if (value === null || t === "boolean" || t === "string") return t === "string" && value.length > 1000 ? value.slice(0, 1000) + "…" : value;
  if (t === "number") return numIsFinite(value) ? value : String(value);
  if (t === "undefined") return null;
  if (t === "function") return "[function]";
  if (t === "bigint") return String(value) + "n";
  if (t === "symbol") return "[symbol]";
  if (depth >= 2) return isArray(value) ? "[array(" + value.length + ")]" : "[object]";
  if (isArray(value)) {
    const items = [];
    for (let i = 0; i < value.length && i < 50; i++) items.push(plain(value[i], depth + 1));
    if (value.length > 50) items.push("… " + (value.length - 50) + " more");
    return items;
  }
  const result = {};
  let n = 0;
  for (const key of Object.keys(value)) {
    if (n++ >= 50) { result["…"] = "more"; break; }
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
const helpers = { clamp: clamp, avg: avg, sum: sum, round: round, isGood: isGood, console: console };
for (const name of Object.keys(helpers)) {
  Object.defineProperty(G, name, { value: freeze(helpers[name]), writable: false, enumerable: false, configurable: false });
}
const seen = new Set();
function deepFreeze(value) {
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
return api;
})()`;
