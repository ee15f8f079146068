import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import { analyze, type Reference, type Scope } from 'eslint-scope';
import type { Diagnostic, DiagnosticSource } from '../model/diagnostic';
import { where } from '../model/diagnostic';

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
  /** Where the loops are: QuickJS cannot say where an interrupted script was, so a timeout names them. */
  loops: Position[];
  ast: acorn.Program | null;
}

const EMPTY_ANALYSIS = (): Omit<CodeAnalysis, 'ok' | 'diagnostics'> => ({
  topLevel: new Map(),
  nested: new Map(),
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
  /** "<subject> at calc line 2, column 3: <hint>" */
  const forbid = (node: acorn.Node, subject: string, hint: string, kind: Diagnostic['kind'] = 'syntax') => {
    const { line, column } = at(node);
    diagnostics.push({ severity: 'error', source, kind, line, column, message: `${subject} ${where(source, line, column)}: ${hint}` });
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
        forbid(node, 'import/export', 'scripts cannot import or export; inputs arrive through their aliases');
        break;
      case 'ImportExpression':
        forbid(node, 'import()', 'scripts cannot load modules');
        break;
      case 'MetaProperty':
        if ((node as acorn.MetaProperty).meta.name === 'import') forbid(node, 'import.meta', 'scripts are not modules');
        break;
      case 'AwaitExpression':
        forbid(node, 'await', 'scripts run synchronously; remove it');
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if ((node as acorn.Function).async) forbid(node, 'async function', 'scripts run synchronously; use a plain function');
        break;
      case 'Identifier': {
        const name = (node as acorn.Identifier).name;
        if (name.startsWith('__ss')) forbid(node, `'${name}'`, 'names starting with __ss are reserved for Script Server; rename it', 'reference');
        break;
      }
      case 'CallExpression':
      case 'NewExpression': {
        const callee = (node as acorn.CallExpression).callee;
        if (callee.type === 'Identifier' && (callee.name === 'eval' || callee.name === 'Function')) {
          forbid(node, `${callee.name}()`, 'scripts cannot build code at run time; write the code directly', 'reference');
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
  // Acorn ends its messages with " (line:column)"; we say where in our own words.
  let message = String(syntaxError.message ?? error).replace(/\s*\(\d+:\d+\)\s*$/, '');
  if (message === 'Unexpected token' && syntaxError.pos !== undefined) {
    const token = tokenAt(code, syntaxError.pos);
    message = token ? `Unexpected token '${token}'` : 'Unexpected end of code';
  } else if (message === "'return' outside of function") {
    message = "'return' is not allowed at the top level of a script; assign the result to an output variable instead";
  }
  return { severity: 'error', source, kind: 'syntax', line, column, message: `${message} ${where(source, line, column)}` };
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
    found.push({
      severity: 'error',
      source,
      kind: 'syntax',
      line,
      column,
      message: `${what} ${where(source, line, column)}: an HTML-style comment is not allowed in scripts; use // or /* */`,
    });
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
      report(token, "'<!--'");
    } else if (firstOnLine && text(token) === '--' && text(next) === '>' && next!.start === token.end) {
      report(token, "'-->'");
    }
  }
  return found;
}
