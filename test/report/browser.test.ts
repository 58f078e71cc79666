/**
 * The HTML report in a real browser: headless Chromium loads it from a file (as from an email
 * attachment), with the report's own CSP in force. The DOM must hold the SVG with every host and
 * tunnel, the inline script must have run (it fills the flow count), no console message (no
 * error, no CSP refusal) may appear, no element injected from input, and a screenshot is taken.
 * Skips with a visible line where no chromium is on PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderHtml } from '../../src/report/html.js';
import { findChromium } from '../helpers.js';
import { buildReport } from './fixture.js';


const chromium = findChromium();

function run(bin: string, profile: string, extra: string[], url: string) {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    `--user-data-dir=${profile}`,
    '--enable-logging=stderr',
    '--v=0',
    ...extra,
    url,
  ];
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** Undoes the serializer's character references in an attribute value. */
function decode(s: string): string {
  return s.replace(/&(lt|gt|quot|amp|#39|#96|nbsp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', amp: '&', '#39': "'", '#96': '`', nbsp: '\u00a0' })[e]!);
}

/** Console lines (errors, warnings, logs, CSP refusals) from Chromium's stderr log. */
function consoleProblems(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /CONSOLE|Uncaught|Refused to|Content Security Policy/i.test(l));
}

if (!chromium) {
  console.log('SKIP browser: no chromium (or chromium-browser) on PATH; install it (apt-get install chromium) to run the headless HTML check');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-report-'));
  const out = join(dir, 'test', 'report');
  mkdirSync(out, { recursive: true });

  for (const evil of [false, true]) {
    const name = evil ? 'report-injection' : 'report';
    test(`chromium: ${name}.html renders, script runs under the CSP, no console errors, screenshot`, () => {
      const report = buildReport({ evil });
      const file = join(out, `${name}.html`);
      writeFileSync(file, renderHtml(report));
      const url = pathToFileURL(file).href;

      const dom = run(chromium, join(dir, `profile-dom-${name}`), ['--dump-dom'], url);
      assert.not.ok(dom.error, String(dom.error));
      assert.is(dom.status, 0, dom.stderr.slice(-2000));
      const html = dom.stdout;
      const svg = /<svg[\s\S]*<\/svg>/.exec(html)?.[0] ?? '';
      assert.ok(svg.length > 1000, 'svg in the DOM');
      const attr = (a: string) => [...svg.matchAll(new RegExp(` ${a}="([^"]*)"`, 'g'))].map((m) => decode(m[1]));
      const hosts = attr('data-host');
      for (const h of report.topology.hosts) assert.ok(hosts.includes(h.name), `host ${h.name} in the DOM`);
      const tunnels = attr('data-tunnel');
      for (const o of report.topology.overlay) {
        for (const r of o.remotes) assert.ok(tunnels.includes(`${o.host}->${r.host}`), `tunnel ${o.host}->${r.host} in the DOM`);
      }
      assert.match(html, /<span id="flow-count" class="muted">2 of 2 flows<\/span>/, 'the inline script ran');
      assert.is((html.match(/<script/g) ?? []).length, 1, 'no script element from input');
      const problems = consoleProblems(dom.stderr);
      assert.equal(problems, [], problems.join('\n'));

      const png = join(out, `${name}.png`);
      const shot = run(chromium, join(dir, `profile-shot-${name}`), [`--screenshot=${png}`, '--window-size=1400,1000', '--hide-scrollbars'], url);
      assert.is(shot.status, 0, shot.stderr.slice(-2000));
      assert.ok(existsSync(png) && statSync(png).size > 10_000, 'screenshot written');
      assert.equal(consoleProblems(shot.stderr), []);
      console.log(`screenshot: ${png}`);
    });
  }
}

test.run();
