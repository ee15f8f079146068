import * as acorn from 'acorn';
import { analyze, type Scope, type ScopeManager, type Variable } from 'eslint-scope';
import { ECMA_VERSION } from './analyze-code';

/**
 * Instruments one part of a script (initCode or calcCode) so that it records a trace step after
 * every executed statement: the statement's place and the values of the script's variables in scope
 * at that point. Used only by the traced compilation of debug runs; the engine runs the plain code.
 *
 * The edits only insert text on existing lines (never a line break), so generated line numbers stay
 * those of the user's code; columns shift where text was inserted earlier on the line, and
 * `columnMap` maps them back (runtime errors of a traced run are reported in the user's columns).
 *
 * Where each step is recorded:
 *  - after a declaration or an expression statement (values after it);
 *  - at the start of every loop iteration (one step per iteration, with the loop's own variables);
 *  - when an `if` test or a `switch` value has been computed, before the branch runs;
 *  - when a `return`/`throw` value has been computed, before leaving;
 *  - before `break`, `continue` and a bare `return`.
 *
 * The recording runs inside the sandbox (`__ssT`, made by the prelude): a call per statement, no host
 * call. Reading a let/const/class binding before its declaration throws (TDZ), so each variable is
 * classified per step site: certainly initialised (read directly), certainly not (left out), or
 * unknown (read through a guard that leaves it out when it throws). Unknown is a binding of an outer
 * function (a closure may run before the outer declaration), of a `switch` block, or declared inside
 * the range it is read from.
 */

export type TracePart = 'init' | 'calc';

export interface TraceSite {
  source: TracePart;
  /** 1-based, in the user's code. */
  line: number;
  column: number;
  /** The variables whose values the step records, in display order. */
  names: string[];
}

export interface TextEdit {
  /** Offsets in the original code; `end === start` for an insertion. */
  start: number;
  end: number;
  text: string;
}

export interface InstrumentedPart {
  code: string;
  sites: TraceSite[];
  /** The part's top-level var/let/const names (init's are visible, initialised, in calc). */
  topLevel: string[];
  /** Maps a 1-based column of a generated line back to the user's column on that line. */
  columnMap(line: number, column: number): number;
}

export interface InstrumentOptions {
  part: TracePart;
  /** Number of the first site (sites are numbered across both parts). */
  firstSite: number;
  /** Bindings visible from outside the part and always initialised there, outermost first (calc: aliases, then init's top level). */
  outerNames?: string[];
  /** Edits the plain compilation makes to this part (alias arguments), applied together with ours. */
  extraEdits?: (ast: acorn.Program) => TextEdit[];
}

/** Calls the tracer makes available in the guest; see makeTracer in sandbox/prelude.ts. */
const TRACER = '__ssT';

type AnyNode = acorn.Node & Record<string, any>;
type Classification = 'direct' | 'guarded';

export function instrumentForTrace(code: string, options: InstrumentOptions): InstrumentedPart {
  const ast = acorn.parse(code, { ecmaVersion: ECMA_VERSION, sourceType: 'module', locations: true, ranges: true }) as unknown as AnyNode;
  const manager = analyze(ast, { ecmaVersion: ECMA_VERSION, sourceType: 'module' });
  const instrumenter = new Instrumenter(code, manager, options);
  instrumenter.program(ast);
  const edits = [...instrumenter.edits, ...(options.extraEdits?.(ast as unknown as acorn.Program) ?? [])];
  const { text, lineEdits } = applyEdits(code, edits);
  const moduleScope = manager.globalScope.childScopes.find((scope) => scope.type === 'module');
  const topLevel = (moduleScope?.variables ?? [])
    .filter((variable) => variable.defs[0]?.type === 'Variable')
    .map((variable) => variable.name);
  return {
    code: text,
    sites: instrumenter.sites,
    topLevel,
    columnMap: (line, column) => mapColumn(lineEdits.get(line), column),
  };
}

class Instrumenter {
  readonly edits: Array<TextEdit & { order: number }> = [];
  readonly sites: TraceSite[] = [];
  private readonly scopes: Scope[] = [];
  private readonly lineStarts: number[];

  constructor(
    code: string,
    private readonly manager: ScopeManager,
    private readonly options: InstrumentOptions,
  ) {
    this.lineStarts = [0];
    for (let index = 0; index < code.length; index++) if (code.charCodeAt(index) === 10) this.lineStarts.push(index + 1);
  }

  program(ast: AnyNode): void {
    this.within(ast, () => this.statements(ast.body));
  }

  // ---- statements ----

  private statements(list: AnyNode[]): void {
    for (const statement of list) this.statement(statement, true);
  }

  /** `inList`: the statement stands in a statement list; otherwise it is the lone body of an if/label and gets braces when a step is added. */
  private statement(node: AnyNode, inList: boolean): void {
    switch (node.type) {
      case 'ExpressionStatement':
        this.scan(node.expression);
        if (node.directive === undefined) this.stepAfter(node, inList);
        return;
      case 'VariableDeclaration':
        this.scan(node);
        this.stepAfter(node, inList);
        return;
      case 'ReturnStatement':
      case 'ThrowStatement':
        if (node.argument) {
          this.scan(node.argument);
          this.stepOnValue(node.argument, node);
        } else {
          this.stepBefore(node, inList);
        }
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
        this.stepBefore(node, inList);
        return;
      case 'IfStatement':
        this.scan(node.test);
        this.stepOnValue(node.test, node);
        this.statement(node.consequent, false);
        if (node.alternate) this.statement(node.alternate, false);
        return;
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'WhileStatement':
      case 'DoWhileStatement':
        this.within(node, () => {
          for (const key of ['init', 'test', 'update', 'left', 'right']) if (node[key]) this.scan(node[key]);
          this.loopBody(node);
        });
        return;
      case 'BlockStatement':
        this.within(node, () => this.statements(node.body));
        return;
      case 'SwitchStatement':
        this.scan(node.discriminant);
        this.stepOnValue(node.discriminant, node);
        this.within(node, () => {
          for (const switchCase of node.cases) {
            if (switchCase.test) this.scan(switchCase.test);
            this.statements(switchCase.consequent);
          }
        });
        return;
      case 'TryStatement':
        this.statement(node.block, true);
        if (node.handler) {
          this.within(node.handler, () => {
            if (node.handler.param) this.scan(node.handler.param);
            this.statement(node.handler.body, true);
          });
        }
        if (node.finalizer) this.statement(node.finalizer, true);
        return;
      case 'LabeledStatement':
        this.statement(node.body, inList);
        return;
      case 'FunctionDeclaration':
        this.functionNode(node);
        return;
      case 'EmptyStatement':
      case 'DebuggerStatement':
        return;
      default:
        // ClassDeclaration and anything newer: no step of its own, but the functions inside are traced.
        this.scan(node);
    }
  }

  private loopBody(loop: AnyNode): void {
    const body = loop.body as AnyNode;
    if (body.type === 'BlockStatement') {
      this.within(body, () => {
        this.insert(body.start + 1, `${this.stepCall(loop, body.start + 1)};`);
        this.statements(body.body);
      });
      return;
    }
    this.insert(body.start, `{${this.stepCall(loop, body.start)};`);
    this.statement(body, true);
    this.insert(body.end, '}');
  }

  // ---- expressions (only to reach the functions and classes inside them) ----

  private scan(node: AnyNode | null | undefined): void {
    if (!node || typeof node.type !== 'string') return;
    switch (node.type) {
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'FunctionDeclaration':
        this.functionNode(node);
        return;
      case 'StaticBlock':
        this.within(node, () => this.statements(node.body));
        return;
      default:
        this.within(node, () => {
          for (const key of Object.keys(node)) {
            if (key === 'loc' || key === 'start' || key === 'end' || key === 'type') continue;
            const value = node[key];
            if (Array.isArray(value)) {
              for (const item of value) if (item && typeof item === 'object') this.scan(item as AnyNode);
            } else if (value && typeof value === 'object' && typeof (value as AnyNode).type === 'string') {
              this.scan(value as AnyNode);
            }
          }
        });
    }
  }

  private functionNode(node: AnyNode): void {
    this.within(node, () => {
      for (const param of node.params) this.scan(param);
      if (node.body.type === 'BlockStatement') this.statements(node.body.body);
      else this.scan(node.body);
    });
  }

  // ---- steps ----

  /** After a statement: `S;__ssT.on&&__ssT.s(k,[...]);` */
  private stepAfter(node: AnyNode, inList: boolean): void {
    const call = `;${this.stepCall(node, node.end)};`;
    if (inList) {
      this.insert(node.end, call);
    } else {
      this.insert(node.start, '{');
      this.insert(node.end, `${call}}`);
    }
  }

  /** Before a statement that leaves the block (break, continue, bare return). */
  private stepBefore(node: AnyNode, inList: boolean): void {
    const call = `${this.stepCall(node, node.start)};`;
    if (inList) {
      this.insert(node.start, call);
    } else {
      this.insert(node.start, `{${call}`);
      this.insert(node.end, '}');
    }
  }

  /** Around a value the statement computes first (an if test, a return value): `__ssT.x((v),k,__ssT.on&&[...])`. */
  private stepOnValue(value: AnyNode, statement: AnyNode): void {
    const site = this.site(statement, value.end);
    this.insert(value.start, `${TRACER}.x((`);
    this.insert(value.end, `),${site.id},${TRACER}.on&&[${site.reads}])`);
  }

  private stepCall(statement: AnyNode, at: number): string {
    const site = this.site(statement, at);
    return `${TRACER}.on&&${TRACER}.s(${site.id},[${site.reads}])`;
  }

  /** Registers a step site for `statement`, with the variables readable at offset `at` in the current scope. */
  private site(statement: AnyNode, at: number): { id: number; reads: string } {
    const visible = this.visibleAt(at);
    const id = this.options.firstSite + this.sites.length;
    const position = this.position(statement.start);
    this.sites.push({ source: this.options.part, line: position.line, column: position.column, names: visible.map((entry) => entry.name) });
    const reads = visible.map((entry) => (entry.how === 'direct' ? entry.name : `${TRACER}.g(()=>${entry.name})`)).join(',');
    return { id, reads };
  }

  private visibleAt(at: number): Array<{ name: string; how: Classification }> {
    const seen = new Set<string>();
    const found: Array<{ name: string; how: Classification; depth: number; order: number }> = [];
    const here = this.scopes[this.scopes.length - 1];
    const siteFunction = here?.variableScope;
    let order = 0;
    for (let depth = this.scopes.length - 1; depth >= 0; depth--) {
      const scope = this.scopes[depth];
      if (scope.type === 'global') continue;
      for (const variable of scope.variables) {
        if (seen.has(variable.name)) continue;
        // An inner binding shadows the outer one, even while it is not readable (TDZ) or not shown.
        seen.add(variable.name);
        const how = classify(variable, scope, siteFunction, at);
        if (how === 'hidden' || how === 'omit') continue;
        found.push({ name: variable.name, how, depth, order: order++ });
      }
    }
    const outer = this.options.outerNames ?? [];
    outer.forEach((name, index) => {
      if (seen.has(name)) return;
      seen.add(name);
      found.push({ name, how: 'direct', depth: -outer.length + index, order: order++ });
    });
    // Display order: outermost first (inputs, init variables, then calc's), declaration order within a scope.
    found.sort((a, b) => a.depth - b.depth || a.order - b.order);
    return found.map(({ name, how }) => ({ name, how }));
  }

  private within(node: AnyNode, visit: () => void): void {
    const scopes = this.manager.acquireAll(node);
    if (scopes) this.scopes.push(...scopes);
    try {
      visit();
    } finally {
      if (scopes) this.scopes.length -= scopes.length;
    }
  }

  private insert(at: number, text: string): void {
    this.edits.push({ start: at, end: at, text, order: this.edits.length });
  }

  private position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.lineStarts[low] + 1 };
  }
}

/**
 * How a step at offset `at` (in the function-like scope `siteFunction`) may read a binding:
 * 'direct' when it is certainly initialised, 'guarded' when it may be in its TDZ, 'omit' when it
 * certainly is, 'hidden' when it is not a variable worth showing (functions, classes, `arguments`).
 */
function classify(variable: Variable, scope: Scope, siteFunction: Scope | undefined, at: number): Classification | 'omit' | 'hidden' {
  const definition = variable.defs[0];
  if (!definition) return 'hidden';
  switch (definition.type) {
    case 'Parameter':
    case 'CatchClause':
      return 'direct';
    case 'Variable': {
      const declaration = definition.parent as (acorn.Node & { kind?: string }) | null | undefined;
      if (declaration?.kind === 'var') return 'direct';
      if (scope.type === 'switch') return 'guarded';
      if (scope.variableScope !== siteFunction) return 'guarded';
      const declarator = definition.node;
      if (declarator.end <= at) return 'direct';
      if (declarator.start >= at) return 'omit';
      return 'guarded';
    }
    default:
      // FunctionName, ClassName, ImplicitGlobalVariable: not shown.
      return 'hidden';
  }
}

/** Applies edits (sorted by offset, insertions at one offset in the order made) and records, per line, what moved columns. */
function applyEdits(code: string, edits: Array<TextEdit & { order?: number }>): { text: string; lineEdits: Map<number, ColumnEdit[]> } {
  const sorted = edits
    .map((edit, index) => ({ ...edit, order: edit.order ?? Number.MAX_SAFE_INTEGER, index }))
    .sort((a, b) => a.start - b.start || (a.end - a.start) - (b.end - b.start) || a.order - b.order || a.index - b.index);
  const parts: string[] = [];
  const lineEdits = new Map<number, ColumnEdit[]>();
  let cursor = 0;
  let line = 1;
  let lineStart = 0;
  const advance = (to: number) => {
    for (let index = cursor; index < to; index++) {
      if (code.charCodeAt(index) === 10) {
        line++;
        lineStart = index + 1;
      }
    }
  };
  for (const edit of sorted) {
    if (edit.start < cursor) throw new Error(`overlapping trace edits at offset ${edit.start}`);
    advance(edit.start);
    parts.push(code.slice(cursor, edit.start), edit.text);
    const list = lineEdits.get(line) ?? [];
    list.push({ column: edit.start - lineStart + 1, removed: edit.end - edit.start, inserted: edit.text.length });
    lineEdits.set(line, list);
    cursor = edit.start;
    advance(edit.end);
    cursor = edit.end;
  }
  parts.push(code.slice(cursor));
  return { text: parts.join(''), lineEdits };
}

interface ColumnEdit {
  /** 1-based column in the user's line where the edit starts. */
  column: number;
  removed: number;
  inserted: number;
}

/** A generated column back to the user's: inside inserted text it maps to where the text was inserted. */
function mapColumn(edits: ColumnEdit[] | undefined, column: number): number {
  if (!edits) return column;
  let shift = 0;
  for (const edit of edits) {
    const generatedStart = edit.column + shift;
    if (column < generatedStart) break;
    if (column < generatedStart + edit.inserted) return edit.column;
    shift += edit.inserted - edit.removed;
  }
  return column - shift;
}
