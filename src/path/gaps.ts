/**
 * Evidence gaps: what the report cannot judge, why, and the exact command that would answer it,
 * on which host (the `gaps` section of podpath.report/1, docs/report-json.md).
 *
 *   no-captures          no packet was read: nothing says whether packets crossed, were answered or dropped
 *   no-dumps             a host seen only in packets: no addresses, routes, fdb or neighbours
 *   no-routes            a host's dumps hold no routing table: its forwarding is unknown
 *   no-addresses         a host's dumps hold no addresses: its interfaces are unknown
 *   no-fdb / no-neigh    an overlay device without its fdb / neighbour table: remote VTEPs unknown
 *   no-pods              no `kubectl get pods -o wide`: pod names unknown
 *   no-capture-on-path   a node on some flow's path was not captured on
 *   not-decoded          a capture holds packets podpath does not open (InputReport.notDecoded)
 *
 * Facts only: which commands were read per host (dump sections), which captures were read, the
 * topology and the flows' typed steps (Step.cause, Step.host). Nothing reads a message back.
 */
import type { HostSection } from '../topology/build.js';
import type { Host, Topology } from '../topology/model.js';
import type { EvidenceGap, FlowReport, InputReport } from './types.js';

export interface GapFacts {
  /** Dump sections with the host they belong to (Incident.dumps.sections). */
  sections: readonly HostSection[];
  /** Captures: path, host, packets read. */
  captures: readonly { input: string; host?: string; packets: number }[];
  topology: Topology;
  flows: readonly FlowReport[];
  inputs: readonly InputReport[];
}

/** Commands that give a host's routes, addresses, neighbours, fdb. */
const ROUTES = new Set(['ip-route', 'route-n']);
const ADDRESSES = new Set(['ip-addr', 'ip-link']);
const NEIGH = new Set(['ip-neigh']);
const FDB = new Set(['bridge-fdb']);

const DUMP_ALL = 'ip -d addr show > ip-addr.txt; ip route show table all > ip-route.txt; ip neigh show > ip-neigh.txt; bridge fdb show > bridge-fdb.txt';

function has(cmds: Set<string> | undefined, want: Set<string>): boolean {
  if (!cmds) return false;
  for (const c of cmds) if (want.has(c)) return true;
  return false;
}

function pcapName(host: string, itf: string): string {
  return `${host}-${itf}.pcap`.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** The interface to capture on for a node: its underlay NIC (eth0 when unknown). */
function captureInterface(h: Host | undefined): string {
  if (!h) return 'eth0';
  if (h.underlay?.interface) return h.underlay.interface;
  const def = h.routes.find((r) => (r.destination === '0.0.0.0/0' || r.destination === 'default') && r.interface);
  return def?.interface ?? (h.interfaces.some((i) => i.name === 'eth0') ? 'eth0' : (h.interfaces.find((i) => i.kind === 'ethernet')?.name ?? 'eth0'));
}

/** Overlay (VXLAN/Geneve) devices of a host, by the topology. */
function overlayDevices(topo: Topology, h: Host): string[] {
  const out = new Set<string>();
  for (const o of topo.overlay) if (o.host === h.name) out.add(o.device);
  for (const i of h.interfaces) if (i.kind === 'vxlan' || i.kind === 'geneve') out.add(i.name);
  return [...out].sort();
}

/** Flows with a step on `host` (forward or return path), optionally only steps with `cause`. */
function flowsOn(flows: readonly FlowReport[], host: string, cause?: string): string[] {
  return flows
    .filter((f) => [...f.path, ...(f.returnPath ?? [])].some((s) => s.host === host && (cause === undefined || s.cause === cause)))
    .map((f) => f.id);
}

export function computeGaps(x: GapFacts): EvidenceGap[] {
  const gaps: EvidenceGap[] = [];
  const byHost = new Map<string, Set<string>>();
  let kubectlPods = false;
  for (const s of x.sections) {
    if (s.section.command === 'kubectl-pods') kubectlPods = true;
    if (s.host === undefined) continue;
    let m = byHost.get(s.host);
    if (!m) byHost.set(s.host, (m = new Set()));
    m.add(s.section.command);
  }
  const nodes = x.topology.hosts.filter((h) => h.role === 'node');
  const packets = x.captures.reduce((n, c) => n + c.packets, 0);
  const flowIds = (pred: (f: FlowReport) => boolean) => x.flows.filter(pred).map((f) => f.id);

  // No packets at all: nothing can say whether anything crossed.
  if (packets === 0) {
    const what =
      x.captures.length === 0
        ? 'no capture was read: whether packets reach their destination, cross the underlay (and so whether the overlay port is blocked) or are dropped cannot be judged'
        : `the ${x.captures.length === 1 ? 'capture holds' : `${x.captures.length} captures hold`} no packet: whether packets reach their destination or are dropped cannot be judged`;
    if (nodes.length === 0) gaps.push({ code: 'no-captures', what, command: 'tcpdump -ni any -w capture.pcap (on every node of the flow, during the problem)' });
    for (const h of nodes) {
      const itf = captureInterface(h);
      const extra = overlayDevices(x.topology, h);
      const cmd = [itf, ...extra].map((i) => `tcpdump -ni ${i} -w ${pcapName(h.name, i)}`).join(' & ');
      gaps.push({ code: 'no-captures', what, host: h.name, command: cmd });
    }
  }

  // Hosts (nodes) known only from packets or folder names, and hosts missing one kind of dump.
  for (const h of nodes) {
    const cmds = byHost.get(h.name);
    if (!cmds || cmds.size === 0 || [...cmds].every((c) => c === 'hostname' || c === 'unknown')) {
      gaps.push({
        code: 'no-dumps',
        what: `no dumps of ${h.name}: its addresses, routes, fdb and neighbour tables are unknown (node addresses only from the packets), so paths through it cannot be checked`,
        host: h.name,
        command: DUMP_ALL,
        flows: nonEmpty(flowsOn(x.flows, h.name)),
      });
      continue;
    }
    if (!has(cmds, ADDRESSES)) {
      gaps.push({ code: 'no-addresses', what: `no address dump of ${h.name}: its interfaces and addresses are unknown`, host: h.name, command: 'ip -d addr show' });
    }
    if (!has(cmds, ROUTES)) {
      gaps.push({
        code: 'no-routes',
        what: `no routing table of ${h.name}: where it forwards packets cannot be judged (a missing table is not taken as a missing route)`,
        host: h.name,
        command: 'ip route show table all',
        flows: nonEmpty(flowsOn(x.flows, h.name, 'no-dump')),
      });
    }
    for (const dev of overlayDevices(x.topology, h)) {
      const vtep = nonEmpty(flowsOn(x.flows, h.name, 'no-vtep'));
      if (!has(cmds, FDB)) {
        gaps.push({ code: 'no-fdb', what: `no fdb of ${h.name}'s ${dev}: which remote VTEP (underlay address) each pod subnet's traffic goes to cannot be checked`, host: h.name, command: `bridge fdb show dev ${dev}`, flows: vtep });
      }
      if (!has(cmds, NEIGH)) {
        gaps.push({ code: 'no-neigh', what: `no neighbour table of ${h.name}'s ${dev}: the remote VTEP MACs cannot be checked`, host: h.name, command: `ip neigh show dev ${dev}`, flows: vtep });
      }
    }
  }

  // Pod names: only kubectl names them; flows between pod-subnet addresses stay anonymous without it.
  if (!kubectlPods && !x.topology.pods.some((p) => p.source === 'kubectl')) {
    const anon = flowIds((f) => f.kind !== 'link-local' && f.kind !== 'host' && (!f.src.pod || !f.dst.pod));
    if (nodes.length > 0 && (anon.length > 0 || packets === 0)) {
      gaps.push({ code: 'no-pods', what: 'no pod listing: pod names, namespaces and nodes are unknown (hostNetwork pods cannot be told apart)', command: 'kubectl get pods -A -o wide > pods.txt', flows: nonEmpty(anon) });
    }
  }

  // Nodes on some flow's path with no capture of their own (only when there are captures at all).
  if (packets > 0) {
    const captured = new Set(x.captures.map((c) => c.host).filter((h): h is string => h !== undefined));
    for (const h of nodes) {
      if (captured.has(h.name)) continue;
      const on = flowsOn(x.flows, h.name);
      if (on.length === 0) continue;
      const itf = captureInterface(h);
      gaps.push({
        code: 'no-capture-on-path',
        what: `no capture on ${h.name}, which is on the path of ${on.length} flow(s): whether packets reached it or left it cannot be judged`,
        host: h.name,
        command: `tcpdump -ni ${itf} -w ${pcapName(h.name, itf)}`,
        flows: on,
      });
    }
  }

  // What the captures hold that podpath did not open.
  for (const i of x.inputs) {
    for (const n of i.notDecoded ?? []) {
      gaps.push({
        code: 'not-decoded',
        what: `${n.packets} packet(s) of ${i.path} not decoded (${n.what}): what they carry cannot be judged`,
        host: i.host,
        input: i.path,
        command: `tshark -r ${i.path} (podpath does not open ${n.what})`,
      });
    }
  }
  return gaps;
}

function nonEmpty(a: string[]): string[] | undefined {
  return a.length ? a : undefined;
}
