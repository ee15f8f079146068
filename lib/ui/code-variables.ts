import { parse, type Node, type Pattern } from 'acorn';

/**
 * The variables a script defines at its top level — what an output can publish. Parsed with acorn
 * (the same parser as the server's compiler); while the code does not parse (the user is typing), a
 * line scan finds the declarations so the output picker does not empty itself on every keystroke.
 */

export interface DefinedVariable {
  name: string;
  source: 'init' | 'calc';
  kind: 'let' | 'const' | 'var' | 'function' | 'class';
  line: number;
}

function patternNames(pattern: Pattern | null | undefined, into: string[]): void {
  if (!pattern) return;
  switch (pattern.type) {
    case 'Identifier':
      into.push(pattern.name);
      break;
    case 'ObjectPattern':
      for (const property of pattern.properties) {
        if (property.type === 'RestElement') patternNames(property.argument, into);
        else patternNames(property.value, into);
      }
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements) patternNames(element, into);
      break;
    case 'RestElement':
      patternNames(pattern.argument, into);
      break;
    case 'AssignmentPattern':
      patternNames(pattern.left, into);
      break;
    default:
      break;
  }
}

function lineOf(node: Node): number {
  return node.loc?.start.line ?? 1;
}

function parsed(code: string, source: 'init' | 'calc'): DefinedVariable[] | null {
  let program;
  try {
    program = parse(code, { ecmaVersion: 2023, sourceType: 'module', locations: true });
  } catch {
    return null;
  }
  const found: DefinedVariable[] = [];
  for (const statement of program.body) {
    if (statement.type === 'VariableDeclaration') {
      for (const declarator of statement.declarations) {
        const names: string[] = [];
        patternNames(declarator.id, names);
        for (const name of names) found.push({ name, source, kind: statement.kind as DefinedVariable['kind'], line: lineOf(declarator) });
      }
    } else if ((statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') && statement.id) {
      found.push({ name: statement.id.name, source, kind: statement.type === 'FunctionDeclaration' ? 'function' : 'class', line: lineOf(statement) });
    }
  }
  return found;
}

const DECLARATION = /^(let|const|var|function\*?|class)\s+([\p{ID_Start}$_][\p{ID_Continue}$]*)/u;

/** Declarations at the start of an unindented line: a good guess at the top level while typing. */
function scanned(code: string, source: 'init' | 'calc'): DefinedVariable[] {
  const found: DefinedVariable[] = [];
  code.split(/\r\n|\r|\n/).forEach((text, index) => {
    const match = DECLARATION.exec(text);
    if (!match) return;
    const keyword = match[1].replace('*', '');
    found.push({ name: match[2], source, kind: keyword as DefinedVariable['kind'], line: index + 1 });
  });
  return found;
}

export function topLevelVariables(code: string, source: 'init' | 'calc'): DefinedVariable[] {
  return parsed(code, source) ?? scanned(code, source);
}

/**
 * Variables an output can read: values (not functions or classes) from calcCode, then initCode,
 * each name once (a calc binding hides an init binding of the same name).
 */
export function outputCandidates(initCode: string, calcCode: string): DefinedVariable[] {
  const seen = new Set<string>();
  const result: DefinedVariable[] = [];
  for (const variable of [...topLevelVariables(calcCode, 'calc'), ...topLevelVariables(initCode, 'init')]) {
    if (variable.kind === 'function' || variable.kind === 'class' || seen.has(variable.name)) continue;
    seen.add(variable.name);
    result.push(variable);
  }
  return result;
}
