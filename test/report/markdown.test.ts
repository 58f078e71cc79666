import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReport } from './fixture.js';

function mermaidBlock(md: string): string[] {
  const m = /```mermaid\n([\s\S]*?)\n```/.exec(md);
  assert.ok(m, 'mermaid block');
  return m![1].split('\n');
}

/** Pipes that separate cells: not preceded by an odd number of backslashes. */
function cellPipes(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] !== '|') continue;
    let b = 0;
    for (let j = i - 1; j >= 0 && line[j] === '\\'; j--) b++;
    if (b % 2 === 0) n++;
  }
  return n;
}

test('first lines: the UDP 8472 drop between the two nodes, the cause, the evidence', () => {
  const md = renderMarkdown(buildReport());
  const lines = md.split('\n');
  assert.ok(
    lines[0].startsWith('**UDP 8472 between ip-10-32-11-62 (10.32.11.62) and ip-10-32-7-224 (10.32.7.224) is dropped**'),
    lines[0],
  );
  assert.match(lines[0], /1 critical finding: `overlay-blocked`/);
  assert.match(lines.slice(0, 4).join('\n'), /\*\*Likely cause:\*\* .*firewall or cloud security group/);
  assert.match(md.split('## Topology')[0], /- `captures\/ip-10-32-11-62-eth0\.pcap#12` UDP 10\.32\.11\.62:47000/);
});

test('Mermaid topology: wires as dumps tie them, the loss on the NICs\' link in red, the unseen direction dotted', () => {
  const block = mermaidBlock(renderMarkdown(buildReport()));
  assert.is(block[0], 'flowchart LR');
  assert.is(block.filter((l) => /^\s*subgraph n\d+\["/.test(l)).length, 2);
  assert.is(block.filter((l) => l.trim() === 'end').length, 2);
  // Every link, by the labels of its ends.
  const names = new Map<string, string>();
  for (const l of block) {
    const m = /^\s*(n\d+)[[(]"([^"<]*)/.exec(l);
    if (m) names.set(m[1], m[2]);
  }
  const links = block
    .map((l) => /^\s*(n\d+) (\S+?)(?:\|"([^"]*)"\|)? (n\d+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${names.get(m[1])} ${m[2]} ${names.get(m[4])}${m[3] ? ` [${m[3]}]` : ''}`);
  assert.equal(links, [
    'flannel.1 VXLAN VNI 1 -.- eth0 [encap]',
    'cni0 bridge --- flannel.1 VXLAN VNI 1 [routes]',
    'veth1a2b3c4d --- cni0 bridge',
    'pod default/pod2 --- veth1a2b3c4d',
    'veth9c8d7e6f --- cni0 bridge',
    'pod default/pod3 --- veth9c8d7e6f',
    'flannel.1 VXLAN VNI 1 -.- eth0 [encap]',
    'cni0 bridge --- flannel.1 VXLAN VNI 1 [routes]',
    'veth5e6f7a8b --- cni0 bridge',
    'pod default/pod1 --- veth5e6f7a8b',
    'eth0 ==x eth0 [✗ lost between ip-10-32-11-62 eth0 and ip-10-32-7-224 eth0 #40;UDP 8472#41;]',
    'flannel.1 VXLAN VNI 1 -.-> flannel.1 VXLAN VNI 1 [VXLAN VNI 1 UDP 8472]',
    'flannel.1 VXLAN VNI 1 -.-> flannel.1 VXLAN VNI 1 [no packets seen: VXLAN VNI 1 UDP 8472]',
  ]);
  // linkStyle colours exactly the lost link red.
  const style = block.filter((l) => /^\s*linkStyle /.test(l));
  assert.equal(style, ['  linkStyle 10 stroke:#d32f2f,stroke-width:3px,color:#d32f2f']);
});

test('Mermaid labels are safe with hostile names', () => {
  const md = renderMarkdown(buildReport({ evil: true }));
  assert.is((md.match(/^```/gm) ?? []).length, 2, 'the code fence is not broken');
  const block = mermaidBlock(md);
  for (const l of block) {
    assert.is((l.match(/"/g) ?? []).length % 2, 0, `unbalanced quotes: ${l}`);
    for (const q of l.match(/"[^"]*"/g) ?? []) {
      const inner = q.slice(1, -1).replace(/<br\/>/g, '');
      assert.not.match(inner, /[<>[\](){}`|"]/, `unsafe label ${q}`);
      assert.not.match(inner.replace(/#\d+;/g, ''), /#/, `stray # in ${q}`);
    }
    // Identifiers are generated (n0, n1, ...), never names.
    assert.ok(/^\s*(flowchart |subgraph n\d+\[|direction |end$|linkStyle |n\d+[ ([])/.test(l), `unexpected line ${l}`);
  }
  assert.not.ok(block.join('\n').includes('script'.toUpperCase()));
  assert.ok(block.join('\n').includes('#60;script#62;alert#40;1#41;#60;/script#62;#34;#39;#96;#124;'));
});

test('Markdown tables stay intact with hostile names; no raw HTML from inputs', () => {
  const md = renderMarkdown(buildReport({ evil: true }));
  // Code spans show input literally (CommonMark reads no HTML inside them); outside them, no tag.
  const outsideCode = md.replace(/(`+)(?!`)[^\n]*?[^`]\1(?!`)/g, '');
  assert.not.ok(outsideCode.includes('<script'), outsideCode.split('\n').find((l) => l.includes('<script')));
  assert.ok(md.includes('``captures/pod2-eth0.pcapng<script>alert(1)</script>"\'`\\|``'), 'paths in code spans, pipe escaped in cells');
  const lines = md.split('\n');
  let tables = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('| ') || (i > 0 && lines[i - 1].startsWith('|'))) continue;
    tables++;
    const cols = cellPipes(lines[i]);
    assert.match(lines[i + 1], /^\|( -{3,}:? \|)+$/);
    for (let j = i + 1; j < lines.length && lines[j].startsWith('|'); j++) {
      assert.is(cellPipes(lines[j]), cols, `row ${j}: ${lines[j]}`);
    }
  }
  assert.is(tables, 3, 'overlay, flows, inputs');
  assert.ok(md.includes('&lt;script>alert(1)&lt;/script>"\'\\`\\|'), 'escaped, readable');
});

test('inputs with sha256, stats, clocks; deterministic', () => {
  const md = renderMarkdown(buildReport());
  assert.ok(md.includes('`' + 'c'.repeat(64) + '`'));
  assert.match(md, /## Stats\n\nPackets: 23 read, 22 decoded, 1 truncated/);
  assert.match(md, /ip-10-32-7-224: -1\.25 ms vs ip-10-32-11-62/);
  assert.is(renderMarkdown(buildReport({ evil: true })), renderMarkdown(buildReport({ evil: true })));
  assert.not.match(md, /\d{4}-\d\d-\d\dT/, 'no dates (the report has none outside seenAt)');
});

test('a report without findings says so first', () => {
  const r = buildReport();
  r.findings = [];
  r.topology.findings = [];
  r.flows = r.flows.filter((f) => f.verdict === 'ok');
  const md = renderMarkdown(r);
  assert.match(md.split('\n')[0], /^\*\*No problem found/);
});

test.run();
