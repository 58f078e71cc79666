/**
 * The Mermaid diagrams of Markdown reports, rendered by Mermaid itself (the npm package's
 * standalone build) in headless Chromium: each sample's diagram must render to SVG showing every
 * node, and a report full of hostile names must still render. Skips where no chromium is on PATH.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze } from '../../src/analyze.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReport } from './fixture.js';
import { findChromium, ROOT, SAMPLES } from '../helpers.js';

const chromium = findChromium();
const mermaidJs = (() => {
  try {
    return createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
  } catch {
    return undefined;
  }
})();

/** The ```mermaid blocks of a Markdown document. */
function mermaidBlocks(md: string): string[] {
  return [...md.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** Renders Mermaid source in Chromium; returns the DOM after rendering. */
function render(code: string, dir: string, name: string): string {
  const page = join(dir, `${name}.html`);
  writeFileSync(
    page,
    `<!doctype html><html><body><div id="out">pending</div>
<script src="${pathToFileURL(mermaidJs!).href}"></script>
<script>
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
mermaid.render('diagram', ${JSON.stringify(code)}).then(
  (r) => { document.getElementById('out').innerHTML = r.svg; },
  (e) => { document.getElementById('out').textContent = 'MERMAID' + '-ERROR ' + (e && e.message ? e.message : e); },
);
</script></body></html>`,
  );
  const r = spawnSync(
    chromium!,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', '--allow-file-access-from-files', `--user-data-dir=${join(dir, `profile-${name}`)}`, '--virtual-time-budget=15000', '--dump-dom', pathToFileURL(page).href],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return r.stdout ?? '';
}

if (!chromium || !mermaidJs) {
  console.log(`SKIP mermaid: ${!chromium ? 'no chromium on PATH' : 'the mermaid package is not installed'}`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-mermaid-'));
  const scenarios = ['blocked-overlay', 'cross-node'].filter((s) => existsSync(join(SAMPLES, s, 'lab.json')));
  for (const s of scenarios) {
    test(`mermaid renders the ${s} report's topology with every node`, async () => {
      const report = await analyze([join('samples', s)], { cwd: ROOT, hash: false });
      const md = renderMarkdown(report);
      const blocks = mermaidBlocks(md);
      assert.ok(blocks.length >= 1, 'a mermaid block');
      const dom = render(blocks[0], dir, s);
      assert.not.match(dom, /MERMAID-ERROR/, dom.slice(dom.indexOf('MERMAID-ERROR'), dom.indexOf('MERMAID-ERROR') + 300));
      assert.match(dom, /<svg[^>]*id="diagram"/);
      for (const h of report.topology.hosts.filter((x) => x.role === 'node')) assert.ok(dom.includes(h.name), `node ${h.name} drawn`);
    });
  }
  test('mermaid renders a report whose names are hostile, and shows them as text', () => {
    const md = renderMarkdown(buildReport({ evil: true }));
    const dom = render(mermaidBlocks(md)[0], dir, 'evil');
    assert.not.match(dom, /MERMAID-ERROR/, dom.slice(dom.indexOf('MERMAID-ERROR'), dom.indexOf('MERMAID-ERROR') + 300));
    assert.match(dom, /<svg[^>]*id="diagram"/);
    assert.not.match(dom, /<script>alert/i, 'no script element from input');
  });
}

test.run();
