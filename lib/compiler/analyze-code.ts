import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import { analyze, type Reference, type Scope } from 'eslint-scope';
import type { Diagnostic, DiagnosticSource } from '../model/diagnostic';
import { diagnostic, type DiagnosticCode, type DiagnosticParams } from '../model/diagnostic-messages';

/**
 * Parses one part of a script (initCode or calcCode) the way the sandbox will run it — strict mode,
 * modern syntax — and reports what the rest of the compiler needs: the top-level bindings, the
 * names the code reads without declaring, and the constructs scripts may not use.
 */

export const ECMA_VERSION = 2023;

export interface Position {
  line: number; // 1-based
  column: number; // 1-based
}

export interface FreeReference extends Position {
  name: string;
  isWrite: boolean;
  inTypeof: boolean;
}

export interface TopLevelBinding extends Position {
  name: string;
  kind: 'var' | 'let' | 'const' | 'function' | 'class';
}

export interface CodeAnalysis {
  ok: boolean;
  diagnostics: Diagnostic[];
  topLevel: Map<string, TopLevelBinding>;
  /** Names declared anywhere below the top level, with where (for "declared inside a block" hints). */
  nested: Map<string, Position>;
  free: FreeReference[];
  /**
   * Where each variable of the top level (or a free name, in calc: a variable of initCode) is last
   * assigned in this part's text, else where it is declared: the line an invalid output points at.
   */
  lastWrites: Map<string, Position>;
  /** Where the loops are: QuickJS cannot say where an interrupted script was, so a timeout names them. */
  loops: Position[];
  ast: acorn.Program | null;
}

const EMPTY_ANALYSIS = (): Omit<CodeAnalysis, 'ok' | 'diagnostics'> => ({
  topLevel: new Map(),
  nested: new Map(),
  lastWrites: new Map(),
  free: [],
  loops: [],
  ast: null,
});

export function analyzeCode(code: string, source: Exclude<DiagnosticSource, 'definition'>): CodeAnalysis {
  let ast: acorn.Program;
  try {
    // Module goal = strict mode, which is how the sandbox runs scripts. Imports and top-level await,
    // which the module goal would allow, are reported below.
    ast = acorn.parse(code, {
      ecmaVersion: ECMA_VERSION,
      sourceType: 'module',
      locations: true,
      // eslint-scope reads node.range to resolve references inside functions with parameters.
      ranges: true,
      allowReturnOutsideFunction: false,
      allowAwaitOutsideFunction: false,
    });
  } catch (error) {
    return { ...EMPTY_ANALYSIS(), ok: false, diagnostics: [syntaxDiagnostic(error, code, source)] };
  }

  const diagnostics: Diagnostic[] = [...htmlLikeComments(code, source)];
  const loops: Position[] = [];
  const at = (node: acorn.Node) => position(node);
  const forbid = (node: acorn.Node, code: DiagnosticCode, params: DiagnosticParams = {}, kind: Diagnostic['kind'] = 'syntax') => {
    diagnostics.push(diagnostic(code, params, { source, kind, ...at(node) }));
  };

  walk.full(ast, (node) => {
    switch (node.type) {
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
        loops.push(at(node));
        break;
      case 'ImportDeclaration':
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
      case 'ExportAllDeclaration':
        forbid(node, 'import-export');
        break;
      case 'ImportExpression':
        forbid(node, 'dynamic-import');
        break;
      case 'MetaProperty':
        if ((node as acorn.MetaProperty).meta.name === 'import') forbid(node, 'import-meta');
        break;
      case 'AwaitExpression':
        forbid(node, 'await');
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if ((node as acorn.Function).async) forbid(node, 'async-function');
        break;
      case 'Identifier': {
        const name = (node as acorn.Identifier).name;
        if (name.startsWith('__ss')) forbid(node, 'reserved-name', { name }, 'reference');
        break;
      }
      case 'CallExpression':
      case 'NewExpression': {
        const callee = (node as acorn.CallExpression).callee;
        if (callee.type === 'Identifier' && (callee.name === 'eval' || callee.name === 'Function')) {
          forbid(node, 'code-generation', { name: callee.name }, 'reference');
        }
        break;
      }
      default:
        break;
    }
  });

  const scopes = analyze(ast, { ecmaVersion: ECMA_VERSION, sourceType: 'module' });
  const moduleScope = scopes.globalScope.childScopes.find((scope) => scope.type === 'module') ?? scopes.globalScope;

  const topLevel = new Map<string, TopLevelBinding>();
  for (const variable of moduleScope.variables) {
    const definition = variable.defs[0];
    if (!definition) continue;
    topLevel.set(variable.name, { name: variable.name, kind: bindingKind(definition), ...at(definition.name) });
  }

  const lastWrites = new Map<string, Position & { offset: number }>();
  const noteWrite = (name: string, identifier: acorn.Node) => {
    const known = lastWrites.get(name);
    if (!known || identifier.start >= known.offset) lastWrites.set(name, { ...at(identifier), offset: identifier.start });
  };
  for (const variable of moduleScope.variables) {
    for (const reference of variable.references) if (reference.isWrite()) noteWrite(variable.name, reference.identifier as acorn.Node);
    const definition = variable.defs[0];
    if (definition && !lastWrites.has(variable.name)) noteWrite(variable.name, definition.name as acorn.Node);
  }
  for (const reference of scopes.globalScope.through) if (reference.isWrite()) noteWrite(reference.identifier.name, reference.identifier as acorn.Node);

  const nested = new Map<string, Position>();
  const visit = (scope: Scope) => {
    if (scope !== moduleScope && scope.type !== 'global') {
      for (const variable of scope.variables) {
        const definition = variable.defs[0];
        if (definition && !nested.has(variable.name)) nested.set(variable.name, at(definition.name));
      }
    }
    scope.childScopes.forEach(visit);
  };
  visit(scopes.globalScope);

  const typeofOperands = new Set<number>();
  walk.simple(ast, {
    UnaryExpression(node) {
      if (node.operator === 'typeof' && node.argument.type === 'Identifier') typeofOperands.add(node.argument.start);
    },
  });

  const free: FreeReference[] = scopes.globalScope.through.map((reference: Reference) => ({
    name: reference.identifier.name,
    isWrite: reference.isWrite(),
    inTypeof: typeofOperands.has(reference.identifier.start),
    ...at(reference.identifier),
  }));

  return {
    ok: diagnostics.length === 0,
    diagnostics,
    topLevel,
    nested,
    lastWrites: new Map([...lastWrites].map(([name, { line, column }]) => [name, { line, column }])),
    free,
    loops: loops.sort((a, b) => a.line - b.line || a.column - b.column),
    ast,
  };
}

function bindingKind(definition: { type: string; parent?: acorn.Node | null }): TopLevelBinding['kind'] {
  if (definition.type === 'FunctionName') return 'function';
  if (definition.type === 'ClassName') return 'class';
  const parent = definition.parent as acorn.VariableDeclaration | undefined;
  const kind = parent?.kind ?? 'var';
  return kind === 'using' || kind === 'await using' ? 'const' : kind;
}

function position(node: acorn.Node): Position {
  const loc = node.loc;
  return { line: loc?.start.line ?? 1, column: (loc?.start.column ?? 0) + 1 };
}

interface AcornSyntaxError extends SyntaxError {
  pos?: number;
  loc?: { line: number; column: number };
}

function syntaxDiagnostic(error: unknown, code: string, source: Exclude<DiagnosticSource, 'definition'>): Diagnostic {
  const syntaxError = error as AcornSyntaxError;
  const line = syntaxError.loc?.line ?? 1;
  const column = (syntaxError.loc?.column ?? 0) + 1;
  const place = { source, kind: 'syntax' as const, line, column };
  // Acorn ends its messages with " (line:column)"; we say where in our own words.
  const message = String(syntaxError.message ?? error).replace(/\s*\(\d+:\d+\)\s*$/, '');
  if (message === 'Unexpected token' && syntaxError.pos !== undefined) {
    const token = tokenAt(code, syntaxError.pos);
    return token ? diagnostic('unexpected-token', { token }, place) : diagnostic('unexpected-end', {}, place);
  }
  if (message === "'return' outside of function") return diagnostic('return-outside', {}, place);
  return diagnostic('syntax', { error: message }, place);
}

function tokenAt(code: string, pos: number): string | null {
  if (pos >= code.length) return null;
  const match = /^(?:[\p{ID_Continue}$]+|\S)/u.exec(code.slice(pos));
  return match ? match[0] : null;
}

/**
 * `<!--` (and `-->` at the start of a line) open a comment in a classic script — which is how QuickJS
 * evaluates the program — but not in a module, which is how it is checked here. Code after them
 * would run unchecked, so they are refused.
 */
function htmlLikeComments(code: string, source: Exclude<DiagnosticSource, 'definition'>): Diagnostic[] {
  if (!code.includes('<!--') && !code.includes('-->')) return [];
  const tokens: acorn.Token[] = [];
  try {
    for (const token of acorn.tokenizer(code, { ecmaVersion: ECMA_VERSION, sourceType: 'module', locations: true })) tokens.push(token);
  } catch {
    return []; // the parser reports the syntax error itself
  }
  const found: Diagnostic[] = [];
  const report = (token: acorn.Token, what: string) => {
    const line = token.loc?.start.line ?? 1;
    const column = (token.loc?.start.column ?? 0) + 1;
    found.push(diagnostic('html-comment', { token: what }, { source, kind: 'syntax', line, column }));
  };
  const text = (token: acorn.Token | undefined) => (token as { value?: unknown } | undefined)?.value;
  let lastLine = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const next = tokens[i + 1];
    const after = tokens[i + 2];
    const firstOnLine = (token.loc?.start.line ?? 0) !== lastLine;
    lastLine = token.loc?.end.line ?? lastLine;
    if (text(token) === '<' && text(next) === '!' && next!.start === token.end && text(after) === '--' && after!.start === next!.end) {
      report(token, '<!--');
    } else if (firstOnLine && text(token) === '--' && text(next) === '>' && next!.start === token.end) {
      report(token, '-->');
    }
  }
  return found;
}
