/**
 * Findings about the topology itself (before any packet is explained). Codes are a contract
 * (docs/topology-json.md):
 *
 *   route-no-owner          a route via an overlay device to a subnet no host of the incident owns
 *   vtep-unknown            the remote host is known but not its underlay address
 *   overlay-conflict        fdb/neigh name one VTEP, the routes' host has another underlay address
 *   vxlan-mismatch          VNI or UDP port differs between nodes (or from what captures carry)
 *   mtu                     VXLAN MTU above the underlay MTU minus the encapsulation overhead, or a
 *                           pod / pod bridge / veth MTU above the VXLAN device's
 *   duplicate-address       one address on several interfaces (or several running pods)
 *   host-without-dumps      a host named by captures only
 *   missing-fdb             fdb or neigh dumps are there but hold no entry for a remote VTEP
 *   tunnel-inferred         (info) a device taken as a tunnel by its name and encap routes although
 *                           ip -d link gives another kind (a tap serving Geneve in user space)
 *   capture-point-inferred  a capture's interface was guessed from its content
 *   capture-point-unknown   a capture could not be tied to an interface
 *   underlay-from-name      a node's underlay address was read from its AWS-style host name
 *   dump-conflict           two dumps of one host disagree (mtu, mac, index, master): the first
 *                           input (by path) is kept
 */
import type { BuildContext } from './build.js';
import type { Evidence, Finding, Host, Severity, TopoInterface, Topology } from './model.js';
import { isLinkLocal, isLoopbackAddress, normalizeIp } from './lookup.js';
import { isTunnel, podSubnetOf } from './overlay.js';

const HOST_LOCAL_ITF = /^(docker\d+|br-[0-9a-f]{12}|kube-ipvs0|nodelocaldns|virbr\d+)$/;

function add(ctx: BuildContext, severity: Severity, code: string, message: string, evidence: Evidence[], subject?: Finding['subject']): void {
  ctx.topology.findings.push(subject ? { severity, code, message, evidence, subject } : { severity, code, message, evidence });
}

export function addFindings(ctx: BuildContext): void {
  overlayFindings(ctx);
  vxlanMismatch(ctx);
  mtu(ctx);
  duplicates(ctx);
  hostsWithoutDumps(ctx);
  missingFdb(ctx);
  capturePoints(ctx);
  for (const [host, list] of ctx.conflicts) {
    for (const c of list) {
      add(ctx, 'warning', 'dump-conflict', `${host}: dumps disagree on ${c.itf} ${c.field}: ${String(c.kept)} (kept) and ${String(c.other)}; were they taken at different times?`, c.evidence.filter(Boolean));
    }
  }
  for (const h of ctx.topology.hosts) {
    for (const i of h.interfaces) {
      if (!i.tunnelInferred) continue;
      add(ctx, 'info', 'tunnel-inferred', `${h.name}: ${i.name} is taken as a ${i.tunnelInferred.type === 'geneve' ? 'Geneve' : 'VXLAN'} tunnel by ${i.tunnelInferred.reason}: its encapsulation is inferred, not read from the device`, i.evidence.slice(0, 1));
    }
    if (h.underlay?.source === 'name') {
      add(
        ctx,
        'info',
        'underlay-from-name',
        `${h.name}: underlay address ${h.underlay.address} read from the host name (no ip addr of its ${h.underlay.interface ?? 'underlay interface'})`,
        h.underlay.evidence,
      );
    }
  }
  const rank: Record<Severity, number> = { critical: 0, error: 1, warning: 2, info: 3 };
  ctx.topology.findings.sort((a, b) => rank[a.severity] - rank[b.severity] || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

function overlayFindings(ctx: BuildContext): void {
  const hosts = ctx.topology.hosts;
  for (const ov of ctx.topology.overlay) {
    for (const r of ov.remotes) {
      const via = `${r.subnet}${r.gateway ? ` via ${r.gateway}` : ''} dev ${ov.device}`;
      if (!r.host && !r.vtep) {
        add(ctx, 'warning', 'route-no-owner', `${ov.host}: route ${via} leads to no host of this incident: no dumps hold ${r.gateway ?? r.subnet}, no node has the pod subnet ${r.subnet}`, r.evidence);
      } else if (!r.vtep) {
        add(ctx, 'warning', 'vtep-unknown', `${ov.host}: route ${via} leads to ${r.host}, whose underlay address is unknown (add its ip addr)`, r.evidence);
      } else {
        const h2 = r.host ? hosts.find((h) => h.name === r.host) : undefined;
        if (h2?.underlay && h2.underlay.address !== r.vtep) {
          add(ctx, 'warning', 'overlay-conflict', `${ov.host}: ${r.source} sends ${r.subnet} to VTEP ${r.vtep}, but ${h2.name}'s underlay address is ${h2.underlay.address}`, [...r.evidence, ...h2.underlay.evidence]);
        }
      }
    }
  }
}

/**
 * The tunnel devices that serve one overlay: same type and the same device name on every node
 * (flannel.1, vxlan.calico, cilium_vxlan), so that two devices on one node (flannel.1 and
 * vxlan.calico, or a VXLAN per VNI) are never compared with each other. A device whose name is
 * not shared still joins the group of its type when it is its node's only device of that type.
 */
function overlayGroups(overlays: Topology['overlay'], type: 'vxlan' | 'geneve'): Topology['overlay'][] {
  const ofType = overlays.filter((o) => o.type === type);
  const byName = new Map<string, Topology['overlay']>();
  for (const o of ofType) byName.set(o.device, [...(byName.get(o.device) ?? []), o]);
  const perHost = new Map<string, number>();
  for (const o of ofType) perHost.set(o.host, (perHost.get(o.host) ?? 0) + 1);
  const groups: Topology['overlay'][] = [];
  const lone: Topology['overlay'] = [];
  for (const list of byName.values()) {
    if (list.length > 1) groups.push(list);
    else if (perHost.get(list[0].host) === 1) lone.push(list[0]);
  }
  // Single-device nodes whose device names differ: one overlay when they are all alone.
  if (lone.length > 1 && groups.length === 0) groups.push(lone);
  return groups;
}

/** A collect-metadata (`external`) device: the VNI is set per packet, it has no fixed one. */
function externalDevice(ctx: BuildContext, o: Topology['overlay'][number]): boolean {
  const h = ctx.topology.hosts.find((x) => x.name === o.host);
  const i = h?.interfaces.find((x) => x.name === o.device);
  return i?.vxlan?.external === true || i?.geneve?.external === true;
}

function vxlanMismatch(ctx: BuildContext): void {
  const overlays = ctx.topology.overlay;
  for (const type of ['vxlan', 'geneve'] as const) {
   for (const group of overlayGroups(overlays, type)) {
    for (const field of ['vni', 'port'] as const) {
      const values = new Map<number, typeof group>();
      for (const o of group) {
        const v = o[field];
        if (v === undefined || (field === 'vni' && externalDevice(ctx, o))) continue;
        values.set(v, [...(values.get(v) ?? []), o]);
      }
      if (values.size > 1) {
        const parts = [...values].map(([v, os]) => `${os.map((o) => `${o.host} ${o.device}`).join(', ')}: ${field === 'vni' ? 'VNI' : 'UDP port'} ${v}`);
        add(ctx, 'error', 'vxlan-mismatch', `${type.toUpperCase()} ${field === 'vni' ? 'VNI' : 'UDP port'} differs between nodes (${parts.join('; ')})`, group.flatMap((o) => (o.evidence ?? []).slice(0, 1)));
      }
    }
   }
  }
  // Captured tunnel packets that leave a node with another VNI/port than its device is set to.
  for (const c of ctx.captures) {
    for (const t of c.tunnels) {
      const o = overlays.find((x) => x.local === t.outerSrc && x.type === t.type);
      if (!o) continue;
      const bad: string[] = [];
      if (o.port !== undefined && t.port !== o.port) bad.push(`UDP port ${t.port} (device: ${o.port})`);
      if (o.vni !== undefined && t.vni !== undefined && t.vni !== o.vni && !externalDevice(ctx, o)) bad.push(`VNI ${t.vni} (device: ${o.vni})`);
      if (bad.length) {
        add(ctx, 'error', 'vxlan-mismatch', `${o.host} ${o.device}: captured tunnel packets carry ${bad.join(', ')}`, [
          ...(o.evidence ?? []).slice(0, 1),
          { input: c.input, packet: t.packet, text: `${t.outerSrc} > ${t.outerDst} udp/${t.port}${t.vni !== undefined ? ` vni ${t.vni}` : ''}` },
        ]);
      }
    }
  }
}

function mtu(ctx: BuildContext): void {
  const { topology } = ctx;
  for (const h of topology.hosts) {
    if (h.role !== 'node') continue;
    for (const d of h.interfaces.filter(isTunnel)) {
      if (d.mtu === undefined) continue;
      const lowerName = d.vxlan?.dev ?? d.lower ?? h.underlay?.interface;
      const lower = lowerName ? h.interfaces.find((i) => i.name === lowerName) : undefined;
      const overhead = (d.vxlan?.local ?? h.underlay?.address ?? '').includes(':') ? 70 : 50;
      if (lower?.mtu !== undefined && d.mtu > lower.mtu - overhead) {
        add(
          ctx,
          'error',
          'mtu',
          `${h.name}: ${d.name} mtu ${d.mtu} is above ${lower.name} mtu ${lower.mtu} minus the ${overhead}-byte ${d.kind === 'geneve' ? 'Geneve' : 'VXLAN'} overhead (${lower.mtu - overhead}): full-size pod packets will not fit the underlay`,
          [...d.evidence.slice(0, 1), ...lower.evidence.slice(0, 1)],
          { hosts: [h.name] },
        );
      }
      // Pod side: the pod bridge, its veth ports and the pods' interfaces.
      const ps = podSubnetOf(h);
      const bridge = ps?.bridge ? h.interfaces.find((i) => i.name === ps.bridge) : undefined;
      const podSide: { host: Host; itf: TopoInterface }[] = [];
      if (bridge) {
        podSide.push({ host: h, itf: bridge });
        for (const p of bridge.ports ?? []) {
          const pi = h.interfaces.find((i) => i.name === p);
          if (pi) podSide.push({ host: h, itf: pi });
        }
      }
      for (const p of topology.hosts) {
        if (p.role !== 'pod' || p.node !== h.name) continue;
        for (const i of p.interfaces) if (i.kind !== 'loopback') podSide.push({ host: p, itf: i });
      }
      const over = podSide.filter((x) => x.itf.mtu !== undefined && x.itf.mtu > d.mtu!);
      if (over.length > 0) {
        add(
          ctx,
          'warning',
          'mtu',
          `${h.name}: ${over.map((x) => `${x.host === h ? '' : `${x.host.name}/`}${x.itf.name} mtu ${x.itf.mtu}`).join(', ')} above ${d.name} mtu ${d.mtu}: pods may send packets the tunnel must fragment or drop`,
          [...d.evidence.slice(0, 1), ...over.flatMap((x) => x.itf.evidence.slice(0, 1))],
        );
      }
    }
  }
}

function duplicates(ctx: BuildContext): void {
  const seen = new Map<string, { host: Host; itf: TopoInterface }[]>();
  for (const h of ctx.topology.hosts) {
    for (const i of h.interfaces) {
      if (i.kind === 'loopback' || HOST_LOCAL_ITF.test(i.name)) continue;
      for (const a of i.addresses) {
        if (isLoopbackAddress(a.address) || isLinkLocal(a.address)) continue;
        const list = seen.get(a.address) ?? [];
        if (!list.some((x) => x.host === h && x.itf === i)) list.push({ host: h, itf: i });
        seen.set(a.address, list);
      }
    }
  }
  for (const [addr, list] of seen) {
    if (list.length < 2) continue;
    add(ctx, 'error', 'duplicate-address', `${addr} is on ${list.map((x) => `${x.host.name} ${x.itf.name}`).join(' and ')}`, list.flatMap((x) => x.itf.evidence.slice(0, 1)));
  }
  // Running pods sharing an address. hostNetwork pods (etcd, apiserver, kube-proxy, CNI daemonsets)
  // share their node's address by design: an address of a node (its underlay, any address a node's
  // dumps hold, the INTERNAL-IP or EXTERNAL-IP of `kubectl get nodes -o wide`), or one shared only by
  // pods of one same node, is never a duplicate.
  const nodeIps = new Set<string>();
  for (const h of ctx.topology.hosts) {
    if (h.role !== 'node') continue;
    if (h.underlay?.address) nodeIps.add(h.underlay.address);
    for (const i of h.interfaces) for (const a of i.addresses) nodeIps.add(a.address);
  }
  for (const n of ctx.kubectlNodes) {
    for (const ip of [n.record.internalIp, n.record.externalIp]) {
      const x = ip ? normalizeIp(ip) : undefined;
      if (x) nodeIps.add(x);
    }
  }
  const pods = new Map<string, typeof ctx.kubectlPods>();
  for (const p of ctx.kubectlPods) {
    const ip = normalizeIp(p.record.ip);
    if (!ip || nodeIps.has(ip) || !/^running$/i.test(p.record.status)) continue;
    const list = pods.get(ip) ?? [];
    if (!list.some((x) => x.record.name === p.record.name && x.record.namespace === p.record.namespace)) list.push(p);
    pods.set(ip, list);
  }
  for (const [ip, list] of pods) {
    if (list.length < 2) continue;
    const onNodes = new Set(list.map((p) => p.record.node));
    if (onNodes.size === 1 && list.every((p) => p.record.node)) continue; // hostNetwork pods of one node
    // The same pod name listed twice (several kubectl outputs) is one pod.
    add(ctx, 'error', 'duplicate-address', `${ip} is the address of running pods ${list.map((p) => `${p.record.namespace ? `${p.record.namespace}/` : ''}${p.record.name}`).join(' and ')}`, list.map((p) => p.evidence));
  }
}

function hostsWithoutDumps(ctx: BuildContext): void {
  for (const h of ctx.topology.hosts) {
    if ((ctx.commands.get(h.name)?.size ?? 0) > 0) continue;
    const caps = ctx.captures.filter((c) => c.host === h.name);
    if (caps.length === 0) continue;
    add(ctx, 'warning', 'host-without-dumps', `${h.name}: captures but no dumps (ip addr, ip route, ...): its interfaces and routes are unknown`, caps.map((c) => ({ input: c.input })));
  }
}

function missingFdb(ctx: BuildContext): void {
  for (const ov of ctx.topology.overlay) {
    const h = ctx.topology.hosts.find((x) => x.name === ov.host);
    const cmds = ctx.commands.get(ov.host);
    if (!h || !cmds) continue;
    for (const r of ov.remotes) {
      // An encap route names its endpoint itself: a collect-metadata device needs no fdb entry.
      if (r.source === 'fdb' || r.source === 'encap') continue;
      if (cmds.has('ip-neigh') && r.gateway && !h.neighbors.some((n) => n.address === r.gateway && (!n.dev || n.dev === ov.device) && n.mac)) {
        add(ctx, 'warning', 'missing-fdb', `${ov.host}: no ip neigh entry for ${r.gateway} on ${ov.device} (the gateway of ${r.subnet}): packets to that subnet have no VTEP MAC`, r.evidence.slice(0, 1));
      }
      if (cmds.has('bridge-fdb') && r.vtep && !h.fdb.some((f) => f.dst === r.vtep && (!f.dev || f.dev === ov.device))) {
        add(ctx, 'warning', 'missing-fdb', `${ov.host}: no bridge fdb entry on ${ov.device} for VTEP ${r.vtep} (${r.subnet}${r.host ? ` on ${r.host}` : ''}): the kernel cannot encapsulate to it`, r.evidence.slice(0, 1));
      }
    }
  }
}

function capturePoints(ctx: BuildContext): void {
  for (const b of ctx.topology.captures) {
    if (b.via === 'content') {
      add(ctx, 'warning', 'capture-point-inferred', `${b.input}: capture point ${b.host ?? '?'} ${b.interface ?? '?'} inferred from the content (${b.note ?? ''}); name the file after the interface or use pcapng`, [{ input: b.input }]);
    } else if (b.via === 'unknown') {
      add(ctx, 'info', 'capture-point-unknown', `${b.input}: capture point unknown${b.host ? ` on ${b.host}` : ''} (${b.note ?? ''})`, [{ input: b.input }]);
    }
  }
}
