// Minimal typings for the parts of eslint-scope the compiler uses (the package ships none).
declare module 'eslint-scope' {
  import type { Node } from 'acorn';

  export interface Reference {
    identifier: Node & { name: string; start: number; end: number };
    from: Scope;
    resolved: Variable | null;
    isWrite(): boolean;
    isRead(): boolean;
  }
  export interface Definition {
    type: string;
    name: Node & { name: string; start: number };
    node: Node;
    parent?: Node | null;
  }
  export interface Variable {
    name: string;
    defs: Definition[];
    references: Reference[];
    scope: Scope;
  }
  export interface Scope {
    type: string;
    block: Node;
    upper: Scope | null;
    /** The nearest function-like scope (function, module, class field initializer, static block). */
    variableScope: Scope;
    childScopes: Scope[];
    variables: Variable[];
    set: Map<string, Variable>;
    references: Reference[];
    through: Reference[];
  }
  export interface ScopeManager {
    scopes: Scope[];
    globalScope: Scope;
    acquire(node: Node, inner?: boolean): Scope | null;
    /** Every scope the node creates, outermost first; null when it creates none. */
    acquireAll(node: Node): Scope[] | null;
  }
  export function analyze(
    ast: unknown,
    options?: { ecmaVersion?: number; sourceType?: 'script' | 'module'; impliedStrict?: boolean; nodejsScope?: boolean },
  ): ScopeManager;
}
