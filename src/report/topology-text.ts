/**
 * `podpath topology` (text): per host an interface table and a route table, then the overlay map,
 * pods, capture points and findings. Input text is stripped of escape sequences and control
 * characters before it reaches the terminal.
 */
import type { Evidence, Host, Topology } from '../topology/model.js';
import { fitTable, LIST_BELOW, wrap } from './text.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B[@-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g;

/** Terminal-safe text: no escape sequences, no control characters (a hostile host name stays inert). */
export function plain(value: unknown): string {
  return String(value ?? '').replace(ANSI, '').replace(CONTROL, '?');
}

/**
 * A table that fits `columns` (cells wrap at word boundaries); below LIST_BELOW columns, a list:
 * each row its first cell, then `header: value` lines, wrapped, empty cells left out.
 */
function grid(header: string[], rows: unknown[][], columns: number): string {
  const data = rows.map((r) => r.map((c) => plain(c === undefined ? '' : c)));
  // Each column at least as wide as its longest word (an address, a device, a host name), so a
  // table never breaks one in two; when those minimums do not fit, the list form.
  const longest = header.map((h, i) => Math.max(...[h, ...data.map((r) => r[i] ?? '')].flatMap((c) => c.split(/\s+/)).map((w) => w.length)));
  for (let i = 0; i < longest.length; i++) longest[i] = Math.min(longest[i], 28);
  const needed = longest.reduce((a, b) => a + b, 0) + 3 * header.length + 1;
  if (columns >= LIST_BELOW && needed <= columns) return fitTable(header, data, columns, longest.map((min) => ({ min }))) + '\n';
  const out: string[] = [];
  // An index column (`#`) goes after the name it numbers: "eth0 (#2)".
  const numbered = header[0] === '#';
  for (const r of data) {
    const title = numbered ? `${r[1] || '-'}${r[0] ? ` (#${r[0]})` : ''}` : `${header[0]} ${r[0] || '-'}`;
    out.push(...wrap(title, columns, '    ', '  '));
    for (let i = numbered ? 2 : 1; i < header.length; i++) {
      if (r[i] === '') continue;
      out.push(...wrap(`${header[i]}: ${r[i].replace(/\n/g, ', ')}`, columns, '        ', '      '));
    }
  }
  return out.join('\n') + '\n';
}

function where(e: Evidence | undefined): string {
  if (!e) return '';
  return `${e.input}${e.line !== undefined ? `:${e.line}` : ''}${e.packet !== undefined ? ` #${e.packet}` : ''}`;
}

function hostTitle(h: Host): string {
  const parts = [h.role === 'pod' ? `pod namespace${h.node ? ` on ${h.node}` : ''}` : 'node'];
  if (h.underlay) parts.push(`underlay ${h.underlay.address}${h.underlay.interface ? ` on ${h.underlay.interface}` : ''} (${h.underlay.source})`);
  return `${h.name}: ${parts.join(', ')}`;
}

/** The text view, fitted to `columns` (default 100, as for a file or a pipe). */
export function renderTopologyText(t: Topology, columns = 100): string {
  columns = Math.max(40, columns);
  const out: string[] = [];
  for (const h of t.hosts) {
    out.push(plain(hostTitle(h)));
    if (h.interfaces.length === 0) out.push('  (no interfaces: no ip addr/link dumps)\n');
    else {
      out.push(
        grid(
          ['#', 'interface', 'kind', 'mtu', 'mac', 'addresses', 'bridge', 'peer', 'tunnel'],
          h.interfaces.map((i) => [
            i.index,
            i.name,
            i.kind,
            i.mtu,
            i.mac,
            i.addresses.map((a) => `${a.address}/${a.prefixLength}`).join('\n'),
            i.kind === 'bridge' ? `ports: ${(i.ports ?? []).join(', ') || '-'}` : i.master ? `in ${i.master}` : '',
            i.peer ? `${i.peer}${i.linkNetns && !i.peer.includes('/') ? ` (netns ${i.linkNetns})` : ''}` : '',
            i.vxlan
              ? [i.vxlan.vni !== undefined ? `vni ${i.vxlan.vni}` : '', i.vxlan.port !== undefined ? `port ${i.vxlan.port}` : '', i.vxlan.local ? `local ${i.vxlan.local}` : '', i.vxlan.dev ? `dev ${i.vxlan.dev}` : '']
                  .filter(Boolean)
                  .join(' ')
              : '',
          ]),
          columns,
        ),
      );
    }
    if (h.routes.length > 0) {
      out.push(
        grid(
          ['destination', 'gateway', 'dev', 'metric', 'from'],
          h.routes.map((r) => [
            `${r.type ? `${r.type} ` : ''}${r.destination}${r.table ? ` table ${r.table}` : ''}`,
            r.gateway,
            r.interface,
            r.metric,
            where(r.evidence),
          ]),
          columns,
        ),
      );
    }
  }
  out.push('Overlay map');
  if (t.overlay.length === 0) out.push('  (no VXLAN or Geneve device found)\n');
  else {
    const rows: unknown[][] = [];
    for (const o of t.overlay) {
      const own = [`${o.host}`, `${o.device} (${o.type}${o.vni !== undefined ? ` vni ${o.vni}` : ''}${o.port !== undefined ? ` port ${o.port}` : ''})`, o.local, o.subnet];
      if (o.remotes.length === 0) rows.push([...own, '', '', '', '', '']);
      for (const r of o.remotes) rows.push([...own, r.subnet, r.gateway, r.vtep ?? 'unknown', r.host ?? 'unknown', r.source]);
    }
    out.push(grid(['host', 'device', 'local VTEP', 'pod subnet', 'remote subnet', 'gateway', 'remote VTEP', 'remote host', 'source'], rows, columns));
  }
  if (t.pods.length > 0) {
    out.push('Pods');
    out.push(grid(['namespace', 'pod', 'ip', 'host', 'source'], t.pods.map((p) => [p.namespace, p.name === p.ip ? '(unnamed)' : p.name, p.ip, p.host, p.source]), columns));
  }
  if (t.captures.length > 0) {
    out.push('Capture points');
    out.push(grid(['capture', 'host', 'interface', 'how'], t.captures.map((c) => [c.input, c.host, c.interface, c.via]), columns));
  }
  out.push('Findings');
  if (t.findings.length === 0) out.push('  none\n');
  for (const f of t.findings) {
    out.push(...wrap(plain(`${f.severity.toUpperCase()} ${f.code}: ${f.message}`), columns, '      ', '  '));
    for (const e of f.evidence.slice(0, 4)) out.push(...wrap(plain(`${where(e)}${e.text ? `  ${e.text}` : ''}`), columns, '          ', '      '));
  }
  return out.join('\n') + '\n';
}
