/**
 * Packet size facts of a journey, read against the MTUs of the devices it was seen on:
 *
 *  - offload super-segments: a packet captured larger than the MTU of the very device it was
 *    captured on was built by GSO/GRO/TSO (Linux hands the capture one big segment and splits it,
 *    or merged it, in the driver or the next layer). Its absence further on as one packet is no
 *    loss: its pieces travel as other packets. Never a loss and never an MTU problem by itself.
 *  - fragments: a tunnel packet that left a NIC as IP fragments (Journey.fragmented: its first
 *    fragment was seen there) and was lost past that point is an MTU root cause: the encapsulated
 *    packet did not fit the underlay (device MTU + tunnel overhead > NIC MTU).
 */
import { tunnelByName } from '../decode/tunnels.js';
import type { Host, Topology } from '../topology/model.js';
import type { CapturePointInfo } from './correlate.js';
import type { Flow, Journey } from './flows.js';

/** The MTU of each capture point's interface (undefined: unknown, or an `any` capture). */
export function captureMtus(points: CapturePointInfo[], topo: Topology): (number | undefined)[] {
  return points.map((c) => {
    if (!c.host || !c.interface || c.interface === 'any') return undefined;
    return topo.hosts.find((h) => h.name === c.host)?.interfaces.find((i) => i.name === c.interface)?.mtu;
  });
}

/** Whether a journey was captured larger than its capture point's MTU: an offload super-segment. */
export function isSuperSegment(j: Journey, mtus: (number | undefined)[]): boolean {
  if (j.ipLength === undefined || j.fragmented) return false;
  for (const s of j.sightings) {
    if (s.iface !== undefined) continue;
    const mtu = mtus[s.capture];
    if (mtu !== undefined && j.ipLength > mtu) return true;
  }
  return false;
}

/**
 * The flow as its verdict should judge it: without offload super-segments when it has other
 * journeys (a flow of super-segments only keeps them: there is nothing else to judge).
 */
export function withoutSuperSegments(f: Flow, mtus: (number | undefined)[]): Flow {
  let n = 0;
  for (const j of f.journeys) if (isSuperSegment(j, mtus)) n++;
  if (n === 0 || n === f.journeys.length) return f;
  return { ...f, journeys: f.journeys.filter((j) => !isSuperSegment(j, mtus)) };
}

/** MTU facts of a node's tunnel: device MTU + overhead against the NIC MTU. */
export interface TunnelFit {
  host: string;
  device?: string;
  deviceMtu?: number;
  nic?: string;
  nicMtu?: number;
  overhead: number;
  /** deviceMtu + overhead (the largest encapsulated packet). */
  outerMax?: number;
  /** nicMtu - overhead (the device MTU that fits). */
  fits?: number;
}

export function tunnelFit(h: Host | undefined, device: string | undefined, nic: string | undefined, type: string | undefined): TunnelFit {
  const overhead = tunnelByName(type)?.overhead ?? 50;
  const fit: TunnelFit = { host: h?.name ?? '?', device, nic, overhead };
  const dev = device ? h?.interfaces.find((i) => i.name === device) : undefined;
  const n = nic ? h?.interfaces.find((i) => i.name === nic) : undefined;
  if (dev?.mtu !== undefined) {
    fit.deviceMtu = dev.mtu;
    fit.outerMax = dev.mtu + overhead;
  }
  if (n?.mtu !== undefined) {
    fit.nicMtu = n.mtu;
    fit.fits = n.mtu - overhead;
  }
  return fit;
}
