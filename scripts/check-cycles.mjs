// Fails when the modules under src/ import each other in a circle. Every edge counts: `import` and `export ... from`
// (type-only ones too), `require('…')`, `import('…')` and `typeof import('…')`, so a lazily loaded command that
// imports the module that loads it is a circle as well. Reads the TypeScript syntax tree (not the text), resolves
// relative specifiers to files under src/ (packages are leaves), and prints each circle found as a path.
// Usage: node scripts/check-cycles.mjs [DIR...]   (default: src)
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['src'];

const files = [];
const walk = (d) => {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'node_modules') walk(p);
    } else if (/\.(ts|tsx|mts|cts)$/.test(e) && !e.endsWith('.d.ts')) files.push(resolve(p));
  }
};
for (const d of dirs) walk(resolve(root, d));

function resolveSpecifier(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec.replace(/\.(c|m)?js$/, ''));
  for (const cand of [base + '.ts', base + '.tsx', base + '.mts', base + '.cts', join(base, 'index.ts')]) {
    if (existsSync(cand)) return cand;
  }
  return null;
}

function importsOf(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specs = [];
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      specs.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      specs.push(node.moduleReference.expression.text);
    } else if (
      ts.isCallExpression(node) &&
      node.arguments.length >= 1 &&
      ts.isStringLiteralLike(node.arguments[0]) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      specs.push(node.arguments[0].text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      specs.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return [...new Set(specs.map((s) => resolveSpecifier(file, s)).filter((f) => f && files.includes(f)))];
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));

// Tarjan's strongly connected components: every component of more than one module (or a module importing itself)
// holds a circle; one circle through it is printed.
let index = 0;
const idx = new Map(),
  low = new Map(),
  onStack = new Set(),
  stack = [],
  components = [];
const strong = (v) => {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || graph.get(v).includes(v)) components.push(comp);
  }
};
for (const f of files) if (!idx.has(f)) strong(f);

const rel = (f) => relative(root, f);
/** A shortest circle from `start` back to itself inside its component (breadth-first). */
function circleThrough(start, members) {
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = prev.get(v); p; p = prev.get(p)) path.unshift(p);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

if (components.length) {
  console.error(
    `check-cycles: ${components.length} import circle(s) among the ${files.length} modules of ${dirs.join(', ')}:`,
  );
  for (const comp of components) {
    const members = new Set(comp);
    const start = [...comp].sort()[0];
    console.error(
      `  ${circleThrough(start, members).map(rel).join(' -> ')}` +
        (comp.length > 2 ? `  (${comp.length} modules in the knot)` : ''),
    );
  }
  process.exit(1);
}
console.log(`check-cycles: no import circle among the ${files.length} modules of ${dirs.join(', ')}`);
