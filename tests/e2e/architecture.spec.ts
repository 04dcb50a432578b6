// The UI thread does no tensor work: src/ui, src/pages and src/embed (the custom element) never import tfjs or the core (only the worker's protocol
// and catalog modules, both tfjs-free, and comlink). A static check, so it needs no browser.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : /\.(ts|svelte)$/.test(e.name) ? [p] : [];
  });
}

test('src/ui, src/pages and src/embed import no tfjs and no core code', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const offenders: string[] = [];
  for (const f of ['src/ui', 'src/pages', 'src/embed'].flatMap((dir) => files(path.join(root, dir)))) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^\s*import\s+(type\s+)?[^;]*?from\s+['"]([^'"]+)['"]/gm)) {
      const [, typeOnly, spec] = m;
      const bad = spec.startsWith('@tensorflow/') || spec.includes('/core/') ||
        // protocol.ts, catalog.ts and the two run-record modules are tfjs-free (types, tables, record helpers); nothing else of the worker is imported.
        (spec.includes('/worker/') && !/\/worker\/(protocol|catalog|benchmark-record|attack-record)\.ts$/.test(spec) && !(typeOnly && spec.endsWith('.ts')));
      if (bad) offenders.push(`${path.relative(root, f)}: ${m[0].trim()}`);
    }
  }
  expect(offenders).toEqual([]);
});
