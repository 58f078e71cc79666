/**
 * What ties two devices of one node in a picture, from the dumps only: a bridge and a tunnel
 * device are wired when the node routes other nodes' pod subnets into the tunnel device (the
 * packets a pod sends leave the bridge, are routed, and enter the tunnel); a tunnel device and the
 * underlay NIC are wired when the tunnel's `dev` or `local` names the NIC. A bridge with no such
 * route (docker0 on a flannel node) is drawn on its own.
 */
import type { Host, TopoInterface, TopoRoute } from './model.js';
import { podSubnetOf } from './overlay.js';

/** Routes of `host` through the tunnel device `vtep` (remote pod subnets), when `bridge` holds its pods. */
export function routedTie(host: Host, bridge: TopoInterface, vtep: TopoInterface): TopoRoute[] {
  if (podSubnetOf(host)?.bridge !== bridge.name) return [];
  return host.routes.filter((r) => r.interface === vtep.name && !r.table && r.type === undefined);
}

/** How the tunnel device sits on the NIC: `dev eth0`, or its local address is the NIC's; undefined when nothing says. */
export function encapTie(vtep: TopoInterface, nic: TopoInterface, host: Host): 'dev' | 'local' | 'underlay' | undefined {
  if (vtep.vxlan?.dev !== undefined) return vtep.vxlan.dev === nic.name ? 'dev' : undefined;
  if (vtep.lower !== undefined && vtep.lower === nic.name) return 'dev';
  const local = vtep.vxlan?.local;
  if (local !== undefined && nic.addresses.some((a) => a.address === local)) return 'local';
  if (host.underlay?.interface === nic.name) return 'underlay';
  return undefined;
}
