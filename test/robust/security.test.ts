/**
 * Hostile names end to end: an incident whose host folder names, file names, interface names (ip
 * addr dumps) and pod names and namespaces (kubectl pods.txt) carry markup, quotes, backticks, pipes,
 * Markdown links to javascript: and terminal escapes goes through analyze() and the HTML, Markdown
 * and text renderers: nothing comes out unescaped. And no shell command is ever built from input:
 * src/ does not use child_process at all.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from '../helpers.js';
import { analyze } from '../../src/analyze.js';
import { render } from '../../src/report/index.js';
import type { Report } from '../../src/path/types.js';
import { icmpFrame, pcap } from './writers.js';

const SCRIPT = '<script>alert(1)</script>';
/** Usable in file and folder names (no slash). */
const NAME_EVIL = `<img src=x onerror=alert(1)>"'\`|](javascript:alert(1))`;
const TMP = mkdtempSync(join(tmpdir(), 'podpath-sec-'));
const INC = join(TMP, 'incident');
const HOST_A = `node-a${NAME_EVIL}`;
const HOST_B = 'node-b';

function ipAddr(ifname: string, addr: string): string {
  return [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    '    inet 127.0.0.1/8 scope host lo',
    '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000',
    '    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff',
    `    inet ${addr}/24 brd 10.0.0.255 scope global eth0`,
    `3: ${ifname}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000`,
    '    link/ether 02:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff',
    `    inet 10.42.${addr.endsWith('1') ? 0 : 1}.1/24 brd 10.42.0.255 scope global ${ifname}`,
    '',
  ].join('\n');
}

let report: Report;

test.before(async () => {
  mkdirSync(join(INC, HOST_A), { recursive: true });
  mkdirSync(join(INC, HOST_B), { recursive: true });
  writeFileSync(join(INC, HOST_A, `ip-addr${NAME_EVIL}.txt`), ipAddr(`${SCRIPT}"'\`|`, '10.0.0.1'));
  writeFileSync(join(INC, HOST_B, 'ip-addr.txt'), ipAddr(`cni0](javascript:alert(1))`, '10.0.0.2'));
  const frames = [0, 1, 2].map((i) => ({ sec: 1700000000 + i, frac: 0, data: icmpFrame('10.42.0.5', '10.42.1.7', i) }));
  writeFileSync(join(INC, HOST_A, `eth0${NAME_EVIL}.pcap`), pcap(frames));
  writeFileSync(join(INC, HOST_B, 'eth0.pcap'), pcap(frames));
  writeFileSync(
    join(INC, 'pods.txt'),
    [
      'NAMESPACE      NAME                                  READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES',
      `ns"'\`|        ${SCRIPT}                   1/1     Running   0          1h    10.42.0.5    node-a   <none>           <none>`,
      `default        pod](javascript:alert(1))\x1b]0;pwned\x07x  1/1     Running   0          1h    10.42.1.7    node-b   <none>           <none>`,
      '',
    ].join('\n'),
  );
  report = await analyze(['incident'], { cwd: TMP });
});

test('the hostile names reach the report (the test would prove nothing otherwise)', () => {
  const json = JSON.stringify(report);
  assert.ok(report.topology.hosts.some((h) => h.name === HOST_A), `host ${HOST_A}: ${report.topology.hosts.map((h) => h.name)}`);
  assert.ok(json.includes(JSON.stringify(SCRIPT).slice(1, -1)), 'the script tag is in the report data');
  assert.ok(report.topology.pods.some((p) => p.name === SCRIPT), `pod ${SCRIPT}: ${report.topology.pods.map((p) => p.name)}`);
  assert.ok(report.inputs.some((i) => i.path.includes(NAME_EVIL)));
  assert.ok(report.flows.length > 0);
});

test('HTML escapes everything that comes from the inputs', () => {
  const html = render(report, 'html');
  assert.not.ok(html.includes(SCRIPT), 'no raw <script>alert(1)</script>');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the escaped form is there');
  assert.not.match(html, /<img/i, 'no raw <img');
  for (const m of html.matchAll(/<script\b[^>]*>/gi)) assert.not.match(html.slice(m.index!, m.index! + 40), /alert/, 'only the report’s own script');
  assert.not.match(html, /(href|src|action|formaction|xlink:href)\s*=\s*["']?\s*javascript:/i, 'no javascript: URL');
  assert.not.ok(html.includes(NAME_EVIL), 'the quote/backtick name never appears raw');
  assert.not.ok(html.includes(`"'\``), 'quotes never appear raw together');
  assert.not.ok(html.includes('\x1b'), 'no escape characters');
  // every attribute value is quoted and holds no raw quote of its own kind
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    const rest = tag.replace(/\s[\w:-]+="[^"]*"/g, '').replace(/\s[\w:-]+='[^']*'/g, '');
    assert.not.match(rest, /\son\w+\s*=/i, `no event handler attribute: ${tag}`);
  }
});

/** Markdown outside code spans and fenced blocks (what a renderer reads as markup). */
function outsideCode(md: string): string {
  const noFences = md.replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1\s*$/gm, '');
  let out = '';
  for (let i = 0; i < noFences.length; ) {
    const c = noFences[i];
    if (c === '\\') {
      out += noFences.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '`') {
      let n = 0;
      while (noFences[i + n] === '`') n++;
      const fence = '`'.repeat(n);
      let j = i + n;
      let close = -1;
      while ((j = noFences.indexOf(fence, j)) >= 0) {
        if (noFences[j + n] !== '`' && noFences[j - 1] !== '`') {
          close = j;
          break;
        }
        while (noFences[j] === '`') j++;
      }
      if (close >= 0) {
        out += ' CODE ';
        i = close + n;
        continue;
      }
      out += fence;
      i += n;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

test('Markdown escapes everything that comes from the inputs', () => {
  const md = render(report, 'markdown');
  const text = outsideCode(md);
  assert.not.match(text, /<script/i, 'no raw <script> outside code');
  assert.not.match(text, /<img/i, 'no raw <img> outside code');
  // `\](` is an escaped bracket, text; an unescaped `](javascript:` would close a link
  const link = /(^|[^\\])\]\(\s*javascript:/im;
  assert.not.match(text, link, `no link to javascript: outside code: ${text.split('\n').filter((l) => link.test(l)).join(' // ')}`);
  assert.ok(text.includes('\\](javascript:'), 'the name is there, its bracket escaped');
  assert.not.ok(md.includes('\x1b'), 'no escape characters');
  assert.ok(md.includes('&lt;script>alert(1)&lt;/script>') || md.includes(SCRIPT), 'the name is there, escaped or in code');
  // tables keep their column count: pipes from inputs are escaped
  const lines = md.split('\n');
  const pipes = (l: string) => (outsideCode(l).replace(/\\\|/g, '').match(/\|/g) ?? []).length;
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!/^\|( -{3,}:? \|)+$/.test(lines[i + 1])) continue;
    const cols = pipes(lines[i]);
    for (let j = i + 2; j < lines.length && lines[j].startsWith('|'); j++) assert.is(pipes(lines[j]), cols, `table row ${j}: ${lines[j]}`);
  }
  // the Mermaid diagram: nothing in a label that Mermaid or HTML would read
  const mermaid = /```mermaid\n([\s\S]*?)```/.exec(md)?.[1] ?? '';
  assert.not.match(mermaid, /<script|<img/i, mermaid);
  assert.not.match(mermaid, /^\s*click\b/m, 'no Mermaid click (link) directive');
  for (const l of mermaid.split('\n')) if (l.includes('javascript')) assert.not.match(l, /[()[\]<>`|]javascript|javascript:[^#\s]*[()]/, `label characters escaped: ${l}`);
});

test('text output carries no terminal escapes from the inputs', () => {
  const text = render(report, 'text', { columns: 120 });
  assert.not.ok(text.includes('\x1b'), 'no ESC');
  assert.not.ok(text.includes('\x07'), 'no BEL');
  for (const f of ['json', 'ndjson'] as const) {
    const out = render(report, f);
    for (const line of f === 'json' ? [out] : out.split('\n').filter(Boolean)) JSON.parse(line);
  }
});

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Modules that may start processes (none: the collector is a shell script the user runs). */
/** The collector's orchestrator starts ssh/kubectl with argument arrays (never a shell). */
const CHILD_PROCESS_ALLOWLIST: string[] = ['src/collect/orchestrate.ts'];

test('no shell command is ever built from input: src/ does not use child_process, eval or Function', () => {
  const files = tsFiles(join(ROOT, 'src'));
  assert.ok(files.length > 20);
  for (const f of files) {
    const rel = relative(ROOT, f);
    const src = readFileSync(f, 'utf8');
    if (!CHILD_PROCESS_ALLOWLIST.includes(rel)) {
      assert.not.match(src, /['"](node:)?child_process['"]/, `${rel} uses child_process`);
    }
    assert.not.match(src, /\beval\s*\(|new\s+Function\s*\(/, `${rel} evaluates code`);
    assert.not.match(src, /process\.binding\s*\(/, `${rel} uses process.binding`);
  }
});

// --out path safety of `podpath report` (hostile incident names, ../, absolute paths, planted
// symlinks) is tested with the command: test/batch/hostile.test.ts.

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
