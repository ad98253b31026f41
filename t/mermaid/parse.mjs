// Parse Mermaid files with the real mermaid package, in a jsdom window
// (mermaid's parse needs DOMPurify, which needs a DOM).
//   node parse.mjs DIR FILE...
// DIR holds node_modules with the versions pinned in package-lock.json
// beside this file (installed by scripts/deps --test; see t/graph-render.sh).
// Prints "ok FILE (TYPE)" or "error FILE: MESSAGE" for each; exits 1 when
// any file does not parse, 2 when the packages cannot be loaded.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, ...files] = process.argv.slice(2);
if (!dir || files.length === 0) {
  console.error('usage: node parse.mjs DIR FILE...');
  process.exit(2);
}
let mermaid;
try {
  const require = createRequire(join(dir, 'package.json'));
  const { JSDOM } = require('jsdom');
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  for (const k of ['Element', 'HTMLElement', 'SVGElement', 'Node', 'DocumentFragment', 'DOMParser', 'NodeFilter'])
    if (!(k in globalThis)) globalThis[k] = dom.window[k];
  mermaid = (await import(pathToFileURL(require.resolve('mermaid')).href)).default;
  mermaid.initialize({ startOnLoad: false });
} catch (e) {
  console.error(`cannot load mermaid and jsdom from ${dir}: ${e.message}`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  try {
    const r = await mermaid.parse(readFileSync(f, 'utf8'));
    console.log(`ok ${f} (${r.diagramType})`);
  } catch (e) {
    failed++;
    console.log(`error ${f}: ${String(e.message || e).split('\n').join(' | ')}`);
  }
}
process.exit(failed ? 1 : 0);
