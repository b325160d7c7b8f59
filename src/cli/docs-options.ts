/**
 * Rewrites the options tables of docs/cli.md from the option schema (src/options.ts), between the
 * markers `<!-- options:NAME -->` and `<!-- /options:NAME -->`. test/options.test.ts fails while the
 * docs differ from what this renders; run `node dist/src/cli/docs-options.js` after changing an option.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CERTIFY_OPTIONS } from '../certify';
import { MODEL_OPTIONS, optionsMarkdown, SOLVE_OPTIONS } from '../options';

/** Each marked table: its name in the markers and the rows it holds. */
export const DOC_TABLES = { model: MODEL_OPTIONS, solve: SOLVE_OPTIONS, certify: CERTIFY_OPTIONS } as const;

/** `text` with every marked table replaced by the schema's rendering. */
export function renderOptionTables(text: string): string {
  let out = text;
  for (const [name, specs] of Object.entries(DOC_TABLES)) {
    const open = `<!-- options:${name} -->`;
    const close = `<!-- /options:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`docs: the markers ${open} … ${close} are missing`);
    out = `${out.slice(0, start + open.length)}\n${optionsMarkdown(specs)}\n${out.slice(end)}`;
  }
  return out;
}

/** docs/cli.md in the source tree (dist/src/cli/ → the package root). */
export const CLI_DOCS = path.resolve(__dirname, '..', '..', '..', 'docs', 'cli.md');

if (require.main === module) {
  const before = fs.readFileSync(CLI_DOCS, 'utf8');
  const after = renderOptionTables(before);
  if (after !== before) fs.writeFileSync(CLI_DOCS, after);
  process.stdout.write(`${CLI_DOCS}: ${after === before ? 'up to date' : 'rewritten'}\n`);
}
