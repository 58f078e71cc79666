/**
 * Every bundled sample's HTML report in a real browser, at 1400 px and at 400 px: one headless
 * Chromium for the whole file, driven over the DevTools protocol on a pipe (fd 3 commands in,
 * fd 4 responses out, NUL-terminated JSON). Per sample and width: no horizontal page overflow,
 * the layout the media query picks (wide SVG at 1400, narrow at 400), no clipped element (the
 * visible SVG, every card, every element of the headline banner inside the viewport; hosts and
 * tunnels inside the SVG), the elements present (headline, one table row per flow, every node
 * host, every tunnel direction with its evidence, a lost mark where a flow was lost), no console
 * error, and a full-page PNG. At 1400 a click on a cross-node flow row highlights its tunnel and a
 * second click clears it. The HTML and screenshots stay in a temp dir printed once (CI keeps it as
 * the run's artefacts); nothing is committed. Skips with a visible line without chromium/samples.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SAMPLES, findChromium } from '../helpers.js';
import { analyze } from '../../src/analyze.js';
import { renderHtml } from '../../src/report/html.js';
import { buildDiagram } from '../../src/report/diagram.js';
import type { Report } from '../../src/path/types.js';


/** Sample folders: each top-level one but `lab`, and each incident inside `variants/`. */
function findSamples(): string[] {
  if (!existsSync(SAMPLES)) return [];
  const isDir = (p: string) => statSync(p).isDirectory();
  const out: string[] = [];
  for (const d of readdirSync(SAMPLES).sort()) {
    if (d === 'lab' || !isDir(join(SAMPLES, d))) continue;
    if (d === 'variants') {
      for (const v of readdirSync(join(SAMPLES, d)).sort()) if (isDir(join(SAMPLES, d, v))) out.push(`${d}/${v}`);
    } else out.push(d);
  }
  return out;
}

const CALL_TIMEOUT_MS = 30_000;
const WIDTHS = [1400, 400] as const;

interface CdpEvent {
  method: string;
  params: any;
  sessionId?: string;
}

/** A minimal DevTools-protocol client over Chromium's --remote-debugging-pipe. */
class Cdp {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; method: string }>();
  private listeners: ((e: CdpEvent) => void)[] = [];
  private buf = '';
  closed = false;

  constructor(
    private readonly out: Writable,
    input: Readable,
  ) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buf += chunk;
      let end: number;
      while ((end = this.buf.indexOf('\0')) !== -1) {
        const text = this.buf.slice(0, end);
        this.buf = this.buf.slice(end + 1);
        this.dispatch(JSON.parse(text));
      }
    });
    input.on('close', () => this.fail(new Error('chromium closed the DevTools pipe')));
    out.on('error', (e) => this.fail(e));
  }

  private dispatch(msg: any): void {
    if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message ?? JSON.stringify(msg.error)}`));
      else p.resolve(msg.result);
      return;
    }
    for (const l of [...this.listeners]) l(msg as CdpEvent);
  }

  private fail(e: Error): void {
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.method}: ${e.message}`));
      this.pending.delete(id);
    }
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    if (this.closed) return Promise.reject(new Error(`${method}: DevTools pipe is closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer in ${CALL_TIMEOUT_MS / 1000} s`));
      }, CALL_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer, method });
      this.out.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  on(fn: (e: CdpEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  /** The next event `method` of `sessionId` (registered before the action that causes it). */
  waitFor(method: string, sessionId: string): Promise<CdpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${method}: not fired in ${CALL_TIMEOUT_MS / 1000} s`));
      }, CALL_TIMEOUT_MS);
      const off = this.on((e) => {
        if (e.method === method && e.sessionId === sessionId) {
          clearTimeout(timer);
          off();
          resolve(e);
        }
      });
    });
  }
}

const chromium = findChromium();
const samples = findSamples();

if (!chromium) {
  console.log('SKIP screens: no chromium (or chromium-browser, google-chrome) on PATH; install it (apt-get install chromium) to run the screenshot checks');
} else if (samples.length === 0) {
  console.log(`SKIP screens: no sample folders under samples/ (besides lab)`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-screens-'));
  console.log(`screens: HTML reports and screenshots in ${dir}`);

  let proc: ChildProcess | undefined;
  let cdp: Cdp;
  let session = '';
  let stderrTail = '';
  /** Console errors, exceptions and error log entries since the last navigation. */
  let problems: string[] = [];
  const reports = new Map<string, Report>();
  const files = new Map<string, string>();

  async function reportOf(sample: string): Promise<{ report: Report; url: string }> {
    let report = reports.get(sample);
    if (!report) {
      report = await analyze([join(SAMPLES, sample)], { cwd: SAMPLES, hash: false });
      reports.set(sample, report);
      const file = join(dir, `${sample.replace(/\//g, '_')}.html`);
      writeFileSync(file, renderHtml(report));
      files.set(sample, pathToFileURL(file).href);
    }
    return { report, url: files.get(sample)! };
  }

  async function evaluate<T>(expression: string): Promise<T> {
    const r = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, session);
    if (r.exceptionDetails) throw new Error(`evaluate: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  test.before(async () => {
    const profile = join(dir, 'profile');
    proc = spawn(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--remote-debugging-pipe',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
    );
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (s: string) => {
      stderrTail = (stderrTail + s).slice(-4000);
    });
    cdp = new Cdp(proc.stdio[3] as Writable, proc.stdio[4] as Readable);
    cdp.on((e) => {
      if (e.sessionId !== session) return;
      if (e.method === 'Runtime.consoleAPICalled' && (e.params.type === 'error' || e.params.type === 'assert')) {
        problems.push(`console.${e.params.type}: ${e.params.args.map((a: any) => a.value ?? a.description ?? '').join(' ')}`);
      } else if (e.method === 'Runtime.exceptionThrown') {
        problems.push(`exception: ${e.params.exceptionDetails.exception?.description ?? e.params.exceptionDetails.text}`);
      } else if (e.method === 'Log.entryAdded' && e.params.entry.level === 'error') {
        problems.push(`log ${e.params.entry.source}: ${e.params.entry.text} ${e.params.entry.url ?? ''}`);
      }
    });
    try {
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
      ({ sessionId: session } = await cdp.send('Target.attachToTarget', { targetId, flatten: true }));
      await cdp.send('Page.enable', {}, session);
      await cdp.send('Runtime.enable', {}, session);
      await cdp.send('Log.enable', {}, session);
    } catch (e) {
      throw new Error(`chromium over the DevTools pipe: ${(e as Error).message}\n${stderrTail}`);
    }
  });

  test.after(async () => {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc!.once('exit', () => resolve()));
    await Promise.race([cdp.send('Browser.close').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    const timer = setTimeout(() => {
      try {
        process.kill(-proc!.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  });

  /** What the page says about itself at the current width (computed in the page). */
  interface PageFacts {
    innerWidth: number;
    scrollWidth: number;
    h1: string;
    wide?: { display: string; width: number };
    narrow?: { display: string; width: number };
    clipped: string[];
    rows: number;
    visibleSvg: 'wide' | 'narrow' | 'none' | 'both';
    hostsMissing: string[];
    tunnels: { name: string; evidence: string | null }[];
    lostMarks: number;
  }

  const FACTS = (hosts: string[]) => `(() => {
    const W = window.innerWidth;
    const desc = (el) => {
      const r = el.getBoundingClientRect();
      const cls = typeof el.className === 'string' ? el.className : (el.className && el.className.baseVal) || '';
      return '<' + el.tagName.toLowerCase() + (el.id ? ' id=' + el.id : '') + (cls ? ' class="' + cls + '"' : '') + '>' +
        ' rect left=' + r.left.toFixed(1) + ' right=' + r.right.toFixed(1) + ' width=' + r.width.toFixed(1) + ' (viewport ' + W + ')';
    };
    const shown = (el) => getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0;
    const clipped = [];
    const inViewport = (el, what) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return;
      if (r.left < -0.5 || r.right > W + 1) clipped.push(what + ' ' + desc(el));
    };
    const wideEl = document.querySelector('svg.topology.wide');
    const narrowEl = document.querySelector('svg.topology.narrow');
    const info = (el) => el ? { display: getComputedStyle(el).display, width: el.getBoundingClientRect().width } : undefined;
    const visible = [...document.querySelectorAll('svg.topology')].filter(shown);
    for (const s of visible) inViewport(s, 'svg');
    for (const c of document.querySelectorAll('.card')) inViewport(c, 'card');
    const banner = document.querySelector('header.banner');
    if (banner) { inViewport(banner, 'banner'); for (const el of banner.querySelectorAll('*')) inViewport(el, 'banner element'); }
    const svg = visible.length === 1 ? visible[0] : null;
    if (svg) {
      const box = svg.getBoundingClientRect();
      for (const el of svg.querySelectorAll('[data-host], [data-tunnel], [data-lost]')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
          clipped.push('outside the svg (' + box.left.toFixed(1) + '..' + box.right.toFixed(1) + ' x ' + box.top.toFixed(1) + '..' + box.bottom.toFixed(1) + ') ' +
            desc(el) + ' top=' + r.top.toFixed(1) + ' bottom=' + r.bottom.toFixed(1) + ' ' + (el.getAttribute('data-host') || el.getAttribute('data-tunnel') || ''));
        }
      }
    }
    const hosts = ${JSON.stringify(hosts)};
    return {
      innerWidth: W,
      scrollWidth: document.documentElement.scrollWidth,
      h1: (document.querySelector('h1') || {}).textContent || '',
      wide: info(wideEl),
      narrow: info(narrowEl),
      clipped,
      rows: document.querySelectorAll('#flows-table tbody tr').length,
      visibleSvg: visible.length === 0 ? 'none' : visible.length > 1 ? 'both' : visible[0].classList.contains('wide') ? 'wide' : 'narrow',
      hostsMissing: svg ? hosts.filter((h) => !svg.querySelector('[data-host="' + CSS.escape(h) + '"]')) : hosts,
      tunnels: svg ? [...svg.querySelectorAll('[data-tunnel]')].map((el) => ({ name: el.getAttribute('data-tunnel'), evidence: el.getAttribute('data-evidence') })) : [],
      lostMarks: svg ? svg.querySelectorAll('[data-evidence="lost"], [data-lost="true"]').length : 0,
    };
  })()`;

  /** The highlight state after clicking the first cross-node row (index into tbody rows). */
  const HL_STATE = `(() => {
    const topo = document.getElementById('topology');
    const svg = [...topo.querySelectorAll('svg.topology')].find((s) => getComputedStyle(s).display !== 'none');
    const rows = [...document.querySelectorAll('#flows-table tbody tr')];
    const row = rows.find((r) => { try { return (JSON.parse(r.getAttribute('data-path')).tunnels || []).length > 0; } catch (e) { return false; } });
    return {
      row: row ? row.cells[0].textContent : null,
      rowHl: row ? row.classList.contains('hl-row') : false,
      topoHl: topo.classList.contains('has-hl'),
      tunnelsHl: svg ? [...svg.querySelectorAll('[data-tunnel].hl')].map((e) => e.getAttribute('data-tunnel')) : [],
      anyHl: topo.querySelectorAll('.hl').length + document.querySelectorAll('.hl-row').length,
    };
  })()`;

  /** Scrolls the first cross-node row into view; the centre of its protocol cell (not the id link). */
  const ROW_POINT = `(() => {
    const rows = [...document.querySelectorAll('#flows-table tbody tr')];
    const row = rows.find((r) => { try { return (JSON.parse(r.getAttribute('data-path')).tunnels || []).length > 0; } catch (e) { return false; } });
    if (!row) return null;
    row.scrollIntoView({ block: 'center' });
    const r = row.cells[1].getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  })()`;

  async function click(x: number, y: number): Promise<void> {
    for (const type of ['mousePressed', 'mouseReleased']) {
      await cdp.send('Input.dispatchMouseEvent', { type, x, y, button: 'left', clickCount: 1 }, session);
    }
  }

  let clickedSamples = 0;

  for (const sample of samples) {
    for (const width of WIDTHS) {
      test(`screens: ${sample} at ${width} px`, async () => {
        const at = `${sample} at ${width} px`;
        const { report, url } = await reportOf(sample);
        await cdp.send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: width < 500 }, session);
        problems = [];
        const loaded = cdp.waitFor('Page.loadEventFired', session);
        const nav = await cdp.send('Page.navigate', { url }, session);
        assert.not.ok(nav.errorText, `${at}: navigate ${nav.errorText}`);
        await loaded;

        const nodes = report.topology.hosts.filter((x) => x.role === 'node').map((x) => x.name);
        const f = await evaluate<PageFacts>(FACTS(nodes));
        assert.is(f.innerWidth, width, `${at}: viewport width`);
        assert.ok(f.scrollWidth <= f.innerWidth + 1, `${at}: the page overflows horizontally (scrollWidth ${f.scrollWidth} > innerWidth ${f.innerWidth})`);
        assert.ok(f.h1.trim().length > 0, `${at}: empty headline h1`);
        assert.equal(f.clipped, [], `${at}: clipped elements:\n${f.clipped.join('\n')}`);
        assert.is(f.rows, report.flows.length, `${at}: #flows-table rows ${f.rows}, report has ${report.flows.length} flows`);

        const hasTopology = report.topology.hosts.length > 0 || report.topology.overlay.length > 0;
        if (hasTopology) {
          const [want, other] = width >= 700 ? (['wide', 'narrow'] as const) : (['narrow', 'wide'] as const);
          const w = f[want];
          const o = f[other];
          assert.ok(w && w.display !== 'none' && w.width > 0, `${at}: svg.topology.${want} not displayed (${JSON.stringify(w)})`);
          assert.ok(!o || o.display === 'none', `${at}: svg.topology.${other} displayed (${JSON.stringify(o)})`);
          assert.is(f.visibleSvg, want, `${at}: visible topology SVG`);
          assert.equal(f.hostsMissing, [], `${at}: node hosts without [data-host] in svg.topology.${want}: ${f.hostsMissing.join(', ')}`);
          for (const t of buildDiagram(report).tunnels) {
            const name = `${t.from}->${t.to}`;
            const els = f.tunnels.filter((x) => x.name === name);
            assert.ok(els.length > 0, `${at}: tunnel ${name} has no [data-tunnel] in svg.topology.${want}`);
            for (const e of els) {
              assert.ok(e.evidence === 'seen' || e.evidence === 'unseen' || e.evidence === 'lost', `${at}: [data-tunnel="${name}"] data-evidence=${e.evidence}`);
              assert.is(e.evidence, t.evidence, `${at}: [data-tunnel="${name}"] data-evidence`);
            }
          }
          if (report.flows.some((x) => x.verdict === 'lost')) {
            assert.ok(f.lostMarks > 0, `${at}: a flow is lost but svg.topology.${want} has no [data-evidence="lost"] / [data-lost="true"]`);
          }
        } else {
          assert.is(f.visibleSvg, 'none', `${at}: a topology SVG without hosts`);
        }

        const shot = await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, session);
        const png = Buffer.from(shot.data as string, 'base64');
        assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${at}: screenshot is not a PNG`);
        assert.ok(png.length > 5 * 1024, `${at}: screenshot only ${png.length} bytes`);
        writeFileSync(join(dir, `${sample.replace(/\//g, '_')}-${width}.png`), png);

        if (width === 1400 && hasTopology) {
          const point = await evaluate<{ x: number; y: number } | null>(ROW_POINT);
          if (point) {
            clickedSamples++;
            await click(point.x, point.y);
            const on = await evaluate<{ row: string; rowHl: boolean; topoHl: boolean; tunnelsHl: string[]; anyHl: number }>(HL_STATE);
            assert.ok(on.rowHl, `${at}: row ${on.row} clicked: no class hl-row on the <tr>`);
            assert.ok(on.topoHl, `${at}: row ${on.row} clicked: #topology has no class has-hl`);
            assert.ok(on.tunnelsHl.length > 0, `${at}: row ${on.row} clicked: no [data-tunnel].hl in the visible svg`);
            await click(point.x, point.y);
            const off = await evaluate<{ row: string; topoHl: boolean; anyHl: number }>(HL_STATE);
            assert.not.ok(off.topoHl, `${at}: row ${off.row} clicked again: #topology still has-hl`);
            assert.is(off.anyHl, 0, `${at}: row ${off.row} clicked again: ${off.anyHl} elements still .hl / .hl-row`);
          } else {
            assert.not.ok(sample === 'blocked-overlay', `${at}: no flows-table row crosses nodes (data-path tunnels)`);
          }
        }

        assert.equal(problems, [], `${at}: console / log errors:\n${problems.join('\n')}`);
      });
    }
  }

  test('screens: the click highlight was exercised on cross-node samples', () => {
    assert.ok(clickedSamples >= 2, `only ${clickedSamples} samples had a cross-node row to click`);
  });
}

test.run();
