/**
 * The tunnel descriptor table: everything the rest of podpath needs to know about a tunnel type,
 * so that nothing after decoding switches on the type. Adding a tunnel is one decoder file (which
 * calls `c.tunnel(ID)`) plus one row here.
 *
 *   id        the code decoders set on the packet (Tunnel.type)
 *   name      the name in reports and JSON (podpath.report/1 `tunnel.type`, topology kinds)
 *   display   how it is written for people ("VXLAN", "Geneve")
 *   wire      how `podpath packets` names it on a packet line, like tcpdump ("VXLAN", "GENEVE")
 *   udpPorts  default UDP ports (decode/tables.ts dispatches on them)
 *   overhead  bytes the encapsulation adds in front of the inner packet over an IPv4 underlay
 *             (outer Ethernet, IP and UDP included for UDP tunnels); over IPv6 add 20
 *   overlay   devices of this type make the overlay map (pod subnet -> remote VTEP -> host), and
 *             captured tunnel headers are capture facts
 *   idLabel   the name of its network identifier, where it has one (VNI)
 */
export interface TunnelDescriptor {
  id: number;
  name: 'vxlan' | 'geneve' | 'ipip' | 'gre';
  display: string;
  wire: string;
  udpPorts: readonly number[];
  overhead: number;
  overlay: boolean;
  idLabel?: string;
}

export const TUNNELS: readonly TunnelDescriptor[] = [
  { id: 1, name: 'vxlan', display: 'VXLAN', wire: 'VXLAN', udpPorts: [4789, 8472], overhead: 50, overlay: true, idLabel: 'VNI' },
  { id: 2, name: 'geneve', display: 'Geneve', wire: 'GENEVE', udpPorts: [6081], overhead: 50, overlay: true, idLabel: 'VNI' },
  { id: 3, name: 'ipip', display: 'IP-in-IP', wire: 'IPIP', udpPorts: [], overhead: 20, overlay: false },
  { id: 4, name: 'gre', display: 'GRE', wire: 'GRE', udpPorts: [], overhead: 24, overlay: false },
];

export type TunnelName = TunnelDescriptor['name'];
/** Tunnel types whose devices build the overlay map. */
export type OverlayTunnelName = 'vxlan' | 'geneve';

const UNKNOWN: TunnelDescriptor = { id: 0, name: 'vxlan', display: 'tunnel', wire: 'TUNNEL', udpPorts: [], overhead: 50, overlay: false };
const BY_ID: TunnelDescriptor[] = [];
for (const t of TUNNELS) BY_ID[t.id] = t;

/** The descriptor of a decoded tunnel type (Tunnel.type). */
export function tunnelById(id: number): TunnelDescriptor {
  return BY_ID[id] ?? UNKNOWN;
}

/** The descriptor of a tunnel by its report name ('vxlan', 'geneve', ...), or undefined. */
export function tunnelByName(name: string | undefined): TunnelDescriptor | undefined {
  return TUNNELS.find((t) => t.name === name);
}

/** Whether an interface kind is a tunnel device that builds the overlay map. */
export function isOverlayKind(kind: string | undefined): kind is OverlayTunnelName {
  return tunnelByName(kind)?.overlay === true;
}

/** People's name of a tunnel type: "VXLAN", "Geneve"; unknown names upper-cased. */
export function tunnelDisplay(name: string | undefined): string {
  return tunnelByName(name)?.display ?? (name ?? 'tunnel').toUpperCase();
}
