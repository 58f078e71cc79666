/**
 * The path of a connection translated by a node: explained toward the backend with the translated
 * addresses (src/path/explain.ts), with a `nat` step on the translating node where the packet
 * enters its IP layer (the pod bridge for a pod client, the NIC owning the node port's address),
 * and on the way back where the answer leaves translated back. A rejected connection stops at a
 * `reject` step.
 */
import { explainPath, type PathHints } from '../path/explain.js';
import type { Step } from '../path/types.js';
import { ownerOf } from '../topology/lookup.js';
import type { Topology } from '../topology/model.js';
import type { FlowNat } from './join.js';
import { natStepText } from './join.js';

export interface NatPaths {
  path: Step[];
  returnPath: Step[];
}

function isBridge(topology: Topology, host: string, name: string | undefined): boolean {
  return !!name && topology.hosts.find((h) => h.name === host)?.interfaces.find((i) => i.name === name)?.kind === 'bridge';
}

export function natPaths(
  n: FlowNat,
  client: { ip: string; port?: number },
  addressed: { ip: string; port?: number },
  what: string,
  hasReplies: boolean,
  topology: Topology,
  hints: PathHints,
): NatPaths {
  if (!n.translated) {
    const pre = explainPath(topology, { src: client.ip, dst: addressed.ip, dport: addressed.port, what }, hints);
    const k = pre.findIndex((s) => s.host === n.host && s.action !== 'send' && (isBridge(topology, n.host, s.interface) || s.action === 'route'));
    const at = k >= 0 ? pre[k] : pre[pre.length - 1];
    const r = n.rejected?.rule;
    const reject: Step = {
      host: n.host,
      interface: at?.interface,
      action: 'reject',
      detail:
        `${n.host}: ${n.rejected ? n.rejected.target : 'REJECT'} ${addressed.ip}:${addressed.port ?? ''} (Service ${n.service.namespace}/${n.service.name} has no endpoints)` +
        (r ? `: ${r.chain} rule "${r.record.comment ?? r.record.raw ?? ''}" (${r.evidence.input} line ${r.evidence.line}${r.record.packets !== undefined ? `, counter ${r.record.packets} packet(s)` : ''})` : ''),
      evidence: r ? [r.evidence] : undefined,
    };
    const path = [...pre.slice(0, k >= 0 ? k : pre.length), reject];
    let returnPath: Step[] = [];
    if (hasReplies) {
      const from = n.rejectAnswer?.src ?? topology.hosts.find((h) => h.name === n.host)?.interfaces.find((i) => i.name === at?.interface)?.addresses.find((a) => a.family === 'inet')?.address;
      if (from) returnPath = explainPath(topology, { src: from, dst: client.ip, what: 'ICMP unreachable' }, hints);
    }
    return { path, returnPath };
  }
  const t = n.translated;
  const text = natStepText(n);
  const masq = t.src.ip !== client.ip || t.src.port !== client.port;
  const natStep = (iface: string | undefined, back: boolean): Step => ({
    host: n.host,
    interface: iface,
    action: 'nat',
    detail: back ? `${text}; the answer is translated back here` : text,
    evidence: n.entries.flatMap((e) => (e.rule ? [{ input: e.rule.input, line: e.rule.line, text: e.rule.text }] : [])),
    nat: n.entries,
  });
  let path: Step[];
  let returnPath: Step[] = [];
  if (!masq) {
    // DNAT on the client's node: the step where it enters the node's IP layer becomes `nat`.
    path = explainPath(topology, { src: client.ip, dst: t.dst.ip, dport: t.dst.port, what }, hints);
    markNat(path, n.host, topology, (i) => natStep(i, false));
    // The client sent it to the Service: its first step says so.
    if (path[0]?.action === "send") path[0] = { ...path[0], detail: path[0].detail.replace(` -> ${t.dst.ip} `, ` -> ${addressed.ip}:${addressed.port ?? ""} `) };
    if (hasReplies) {
      returnPath = explainPath(topology, { src: t.dst.ip, dst: client.ip, dport: client.port }, hints);
      markNat(returnPath, n.host, topology, (i) => natStep(i, true));
    }
  } else {
    // Node port: translated where it arrives (the NIC owning the address), sent on from the node.
    const nic = ownerOf(topology, addressed.ip)?.interface.name;
    const tail = explainPath(topology, { src: t.src.ip, dst: t.dst.ip, dport: t.dst.port, what }, hints);
    if (tail[0]?.action === 'send' && tail[0].host === n.host) {
      if (tail[1] && tail[1].host === tail[0].host && tail[1].interface === tail[0].interface) tail.shift();
      else tail[0] = { ...tail[0], action: 'route' };
    }
    path = [natStep(nic, false), ...tail];
    if (hasReplies) {
      returnPath = explainPath(topology, { src: t.dst.ip, dst: t.src.ip, dport: t.src.port }, hints);
      const last = returnPath[returnPath.length - 1];
      if (last?.action === 'deliver' && last.host === n.host) {
        const prev = returnPath[returnPath.length - 2];
        if (prev && prev.host === last.host && prev.interface === last.interface) returnPath.pop();
        else returnPath[returnPath.length - 1] = { ...last, action: 'route', detail: `${last.detail}; translated back toward ${client.ip}` };
      }
      returnPath.push(natStep(nic, true));
    }
  }
  return { path, returnPath };
}

/** The first step on the translating node at one of its bridges (or routing) becomes the `nat` step. */
function markNat(path: Step[], host: string, topology: Topology, make: (iface: string | undefined) => Step): void {
  let k = path.findIndex((s) => s.host === host && isBridge(topology, host, s.interface) && s.action !== 'deliver');
  if (k < 0) k = path.findIndex((s) => s.host === host && (s.action === 'route' || s.action === 'send'));
  if (k < 0) return;
  const old = path[k];
  const step = make(old.interface);
  step.detail = `${step.detail}; then ${old.detail}`;
  if (old.evidence) step.evidence = [...(step.evidence ?? []), ...old.evidence];
  path[k] = step;
}
