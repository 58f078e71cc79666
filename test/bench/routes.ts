/**
 * `node dist/test/bench/routes.js [--routes 1000000] [--flows 1000] [--steps 4]`
 *
 * Route lookup at scale: a host of N `ip route` records (a BGP full table or a big Calico node,
 * one in ten duplicated as a second dump would), merged by buildTopology (mergeRoute), then
 * `--flows` lookups (the index is built by the first). Prints one row per step (N/steps, 2N/steps,
 * ... N): merge time, lookup time, RSS after. Both times and the RSS should grow linearly in N.
 */
import { buildTopology, type HostSection } from '../../src/topology/build.js';
import { lookupRoute } from '../../src/topology/lookup.js';
import type { RouteRecord } from '../../src/dumps/types.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function routes(n: number): RouteRecord[] {
  const out: RouteRecord[] = [];
  for (let i = 0; i < n; i++) {
    // Spread over /16 to /28 networks in 1.0.0.0 and up, IPv6 for one in eight.
    const prefix = 16 + (i % 13);
    if (i % 8 === 7) out.push({ line: i + 1, destination: `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`, interface: 'eth1' } as RouteRecord);
    else {
      const v = ((0x01000000 + i * 4096) >>> 0) & (0xffffffff << (32 - prefix));
      out.push({ line: i + 1, destination: `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${prefix}`, gateway: '10.0.0.1', interface: 'eth0', metric: i % 3 } as RouteRecord);
    }
    if (i % 10 === 0) out.push({ ...out[out.length - 1] });
  }
  out.push({ line: n + 1, destination: 'default', gateway: '10.0.0.1', interface: 'eth0' } as RouteRecord);
  return out;
}

const total = arg('--routes', 1_000_000);
const flows = arg('--flows', 1000);
const steps = arg('--steps', 4);
console.log('| routes | flows | merge ms | lookups ms | RSS MB |');
console.log('|---:|---:|---:|---:|---:|');
for (let s = 1; s <= steps; s++) {
  const n = Math.round((total * s) / steps);
  const records = routes(n);
  const section: HostSection = { host: 'node-a', section: { input: 'ip-route.txt', command: 'ip-route', line: 1, records, problems: [] } };
  const t0 = performance.now();
  const topo = buildTopology([section]).hosts[0];
  const t1 = performance.now();
  let hits = 0;
  for (let f = 0; f < flows; f++) {
    const x = (0x01000000 + ((f * 2654435761) % (n * 4096))) >>> 0;
    if (lookupRoute(topo, `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`)) hits++;
  }
  const t2 = performance.now();
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`| ${n} | ${flows} (${hits} routed) | ${(t1 - t0).toFixed(0)} | ${(t2 - t1).toFixed(0)} | ${rss.toFixed(0)} |`);
}
