// npm run check:layers (and a step of npm test): the import rules of the layout, checked.
//
//   1. No import cycles in lib/, workers/, server.ts, app/ and components/ (madge; `import type`
//      counts too — a cycle of types is still a knot in the layering).
//   2. lib/model is the shared vocabulary and imports nothing else of lib/: a file under lib/model/
//      imports only lib/model/ itself and npm packages (node: builtins, zod…).
//
//   node scripts/check-layers.mjs [--root DIR]   exit 1 with every problem listed, 0 when the layers hold
//
// The functions are exported for scripts/check-layers.test.ts, which runs them on small fixture trees.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import ts from 'typescript';

export const MODEL_DIR = 'lib/model';
export const MODEL_RULE = 'lib/model is the shared vocabulary and imports nothing else of lib/';
/** Where cycles are looked for (those that exist). */
export const CYCLE_ROOTS = ['lib', 'workers', 'server.ts', 'app', 'components'];
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

const toPosix = (file) => file.split(path.sep).join('/');

/**
 * The import cycles among the TypeScript files under `roots` (relative to `root`), each a list of
 * files relative to `root`, the first one not repeated at the end. Also the files madge could not
 * resolve (a cycle through them would go unseen).
 */
export async function findCycles(root, roots = CYCLE_ROOTS) {
  const present = roots.filter((entry) => existsSync(path.join(root, entry)));
  if (present.length === 0) return { cycles: [], skipped: [] };
  const result = await madge(
    present.map((entry) => path.join(root, entry)),
    {
      baseDir: root,
      fileExtensions: ['ts', 'tsx'],
      excludeRegExp: [/\.d\.ts$/, /(^|\/)node_modules\//],
      ...madgeTsConfig(root),
    },
  );
  // npm packages are not followed on purpose (node_modules is excluded); only a project path madge
  // could not resolve hides part of the graph.
  const skipped = result.warnings().skipped.map(toPosix).filter((specifier) => projectTarget(root, '.', specifier) !== null);
  return { cycles: result.circular().map((cycle) => cycle.map(toPosix)), skipped };
}

/**
 * The compiler options of root/tsconfig.json for madge's resolver, `paths` (the @/ alias) anchored
 * at the root: given the file's name, madge loses where the paths are relative to and resolves them
 * against the working directory.
 */
function madgeTsConfig(root) {
  const file = path.join(root, 'tsconfig.json');
  if (!existsSync(file)) return {};
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  const compilerOptions = { ...config.compilerOptions };
  if (compilerOptions.paths && !compilerOptions.baseUrl) compilerOptions.baseUrl = root;
  return { tsConfig: { compilerOptions } };
}

/**
 * Every module specifier a TypeScript/JavaScript source imports or re-exports, with its line:
 * import … from, import type, import 'x', export … from, export type … from, import x = require(),
 * import('x') (also in types: typeof import('x')), require('x').
 */
export function importSpecifiers(source, fileName = 'file.ts') {
  const kind = fileName.endsWith('.tsx') || fileName.endsWith('.jsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, kind);
  const found = [];
  const add = (literal) => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    const { line } = sourceFile.getLineAndCharacterOfPosition(literal.getStart(sourceFile));
    found.push({ specifier: literal.text, line: line + 1 });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/**
 * Where a specifier of `fromFile` points inside the project (a path relative to `root`), or null
 * for an npm package or a builtin (a bare specifier). `@/x` is the project root (tsconfig paths).
 */
export function projectTarget(root, fromFile, specifier) {
  let absolute;
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') absolute = path.resolve(root, path.dirname(fromFile), specifier);
  else if (specifier.startsWith('@/')) absolute = path.resolve(root, specifier.slice(2));
  else if (specifier.startsWith('/')) absolute = specifier;
  else return null;
  return toPosix(path.relative(root, absolute));
}

function sourceFiles(root, dir) {
  const absolute = path.join(root, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && SOURCE_EXTENSIONS.some((extension) => entry.name.endsWith(extension)))
    .map((entry) => toPosix(path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name))))
    .sort();
}

/** Every import of a file under lib/model/ that leaves lib/model/ for another part of the project. */
export function findModelViolations(root, modelDir = MODEL_DIR) {
  const violations = [];
  for (const file of sourceFiles(root, modelDir)) {
    for (const { specifier, line } of importSpecifiers(readFileSync(path.join(root, file), 'utf8'), file)) {
      const target = projectTarget(root, file, specifier);
      if (target === null) continue;
      if (target === modelDir || target.startsWith(`${modelDir}/`)) continue;
      violations.push({ file, line, specifier, target });
    }
  }
  return violations;
}

export function formatCycles(cycles) {
  if (cycles.length === 0) return '';
  return [
    `✖ ${cycles.length} import cycle${cycles.length === 1 ? '' : 's'}:`,
    ...cycles.map((cycle, index) => `  ${index + 1}. ${[...cycle, cycle[0]].join(' → ')}`),
    '  Fix: break each cycle — move what both sides need into a module they both import (vocabulary into',
    '  lib/model, interfaces into lib/ports), or invert the dependency (pass it in instead of importing it).',
    '  `import type` counts too.',
  ].join('\n');
}

export function formatModelViolations(violations, modelDir = MODEL_DIR) {
  if (violations.length === 0) return '';
  return [
    `✖ ${violations.length} import${violations.length === 1 ? '' : 's'} from ${modelDir}/ to the rest of the project:`,
    ...violations.map((v) => `  ${v.file}:${v.line} imports '${v.specifier}' (${v.target})`),
    `  Rule: ${MODEL_RULE} — a file under ${modelDir}/ imports only ${modelDir}/ and npm packages (node: builtins, zod).`,
    `  Fix: move what it needs into ${modelDir}/ if it is vocabulary, or move the importing code out of ${modelDir}/`,
    '  into the layer that owns what it imports.',
  ].join('\n');
}

/** Both checks; `ok` when the layers hold. */
export async function checkLayers(root, options = {}) {
  const { cycles, skipped } = await findCycles(root, options.roots ?? CYCLE_ROOTS);
  const violations = findModelViolations(root, options.modelDir ?? MODEL_DIR);
  return { ok: cycles.length === 0 && violations.length === 0, cycles, skipped, violations };
}

async function main() {
  const rootIndex = process.argv.indexOf('--root');
  const root = rootIndex > 0 ? path.resolve(process.argv[rootIndex + 1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const started = Date.now();
  const { ok, cycles, skipped, violations } = await checkLayers(root);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (skipped.length > 0) console.warn(`⚠ madge could not resolve (cycles through these are not seen): ${skipped.join(', ')}`);
  for (const text of [formatCycles(cycles), formatModelViolations(violations)]) if (text) console.error(text);
  if (!ok) {
    console.error(`\nThe layers do not hold (${seconds} s): see docs/architecture.md for the layout.`);
    process.exit(1);
  }
  console.log(`Layers hold: no import cycles in ${CYCLE_ROOTS.join(', ')}; ${MODEL_DIR} imports nothing else of lib/ (${seconds} s).`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
