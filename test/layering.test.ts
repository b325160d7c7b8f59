/**
 * The layering a reader sees: no import cycles in src/, type-only imports included (they are part
 * of the layering too). A small checker over the TypeScript sources: every relative `import`,
 * `import type`, `export … from`, `require()` and `import()`, resolved to its file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', 'src');

const SPECIFIER = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

function resolve(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** file → the files it imports. */
export function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolve(file, m[1]);
      if (target) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Every cycle's first occurrence, as a path a → b → … → a (depth-first, each back edge once). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

test('the checker finds a cycle, type-only or not, and passes a tree', () => {
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]])), [['a', 'b', 'c', 'a']]);
  assert.deepEqual(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'softnewton-layering-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "export type B = number;\nconst lazy = () => require('./a');\n");
    assert.equal(cycles(importGraph(sources(dir))).length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('src/ has no import cycles (type-only imports and lazy requires count)', () => {
  const files = sources(SRC);
  assert.ok(files.length > 30, `found ${files.length} source files under ${SRC}`);
  const found = cycles(importGraph(files)).map((c) => c.map((f) => path.relative(SRC, f)).join(' → '));
  assert.deepEqual(found, [], `import cycles:\n${found.join('\n')}`);
});

test('src/types.ts imports nothing and src/addon.ts only types', () => {
  const graph = importGraph(sources(SRC));
  assert.deepEqual(graph.get(path.join(SRC, 'types.ts')), []);
  assert.deepEqual(graph.get(path.join(SRC, 'addon.ts')), [path.join(SRC, 'types.ts')]);
});
