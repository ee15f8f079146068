/** Names a script may not use for its aliases (and the compiler will not let it shadow). */

export const HELPER_NAMES = ['clamp', 'avg', 'sum', 'round', 'isGood', 'ctx', 'console'] as const;

export const RESERVED_WORDS = new Set([
  // ECMAScript reserved words, strict-mode reserved words and literals
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in',
  'instanceof', 'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
  // names that cannot be bound in strict code or that would mislead
  'arguments', 'eval', 'undefined', 'NaN', 'Infinity', 'globalThis',
]);

/** Standard globals a script relies on; an alias with one of these names would hide it. */
export const BUILTIN_GLOBALS = new Set([
  'Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Boolean', 'String', 'Symbol', 'Date',
  'Promise', 'RegExp', 'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError',
  'TypeError', 'URIError', 'JSON', 'Math', 'Intl', 'ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array',
  'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray', 'BigInt64Array',
  'BigUint64Array', 'DataView', 'Map', 'BigInt', 'Set', 'WeakMap', 'WeakSet', 'Proxy', 'Reflect', 'isFinite',
  'isNaN', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape',
  'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics',
]);

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/** Why `name` cannot be an alias or output variable, or null when it can. */
export function identifierProblem(name: string): string | null {
  if (!IDENTIFIER.test(name)) {
    return `'${name}' is not a valid JavaScript name (use letters, digits, _ or $, not starting with a digit)`;
  }
  if (RESERVED_WORDS.has(name)) return `'${name}' is a reserved word`;
  if ((HELPER_NAMES as readonly string[]).includes(name)) return `'${name}' is the name of a helper`;
  if (BUILTIN_GLOBALS.has(name)) return `'${name}' would hide the built-in ${name}`;
  if (name.startsWith('__ss')) return `'${name}' starts with __ss, which is reserved for Script Server`;
  return null;
}

export function isValidIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}
