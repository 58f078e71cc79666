/**
 * A throwaway two-node, flannel-shaped lab in network namespaces, and bin/podpath-collect run on
 * both nodes at once while pod 1 pings pod 2 across the VXLAN overlay. Exported for other tests
 * (podpath analyze on the two archives explains the cross-node flow).
 *
 *   pod1 (10.42.0.5) --veth--> [node1: cni0 10.42.0.1/24, flannel.1 10.42.0.0/32, eth0 192.168.77.11]
 *                                          | VXLAN id 1, UDP 8472, over eth0 <-veth-> eth0
 *   pod2 (10.42.1.5) --veth--> [node2: cni0 10.42.1.1/24, flannel.1 10.42.1.0/32, eth0 192.168.77.12]
 *
 * Everything lives in four namespaces named with a unique prefix (nothing is made in the caller's
 * namespace) and is deleted in a finally, whatever happens.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers.js';

const run = promisify(execFile);

export interface NodeCollection {
  /** The name the collector was given (--hostname): node1, node2. */
  hostname: string;
  /** <tmp>/<hostname>.tar.gz */
  archive: string;
  /** The folder the archive was packed from (still there). */
  dir: string;
  /** The collector's stdout + stderr. */
  output: string;
  /** The shell it ran under. */
  shell: string;
}

export interface TwoNodeCollection {
  nodes: [NodeCollection, NodeCollection];
  /** What ping printed (pod1 -> pod2). */
  ping: string;
  pingOk: boolean;
  /** Removes the archives and folders. */
  cleanup(): void;
}

export const LAB = {
  node1: { underlay: '192.168.77.11', podCidr: '10.42.0.0/24', cni0: '10.42.0.1', flannel: '10.42.0.0', vtepMac: '0a:00:00:00:00:01', pod: '10.42.0.5' },
  node2: { underlay: '192.168.77.12', podCidr: '10.42.1.0/24', cni0: '10.42.1.1', flannel: '10.42.1.0', vtepMac: '0a:00:00:00:00:02', pod: '10.42.1.5' },
} as const;

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const cmd of ['ip', 'bridge', 'tcpdump', 'ping', 'tar']) if (!has(cmd)) return `${cmd} is not installed`;
  const probe = `podpath-probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
  } catch (e) {
    return `ip netns add fails (${String((e as { stderr?: Buffer }).stderr ?? e).trim()})`;
  }
  try {
    execFileSync('ip', ['-n', probe, 'link', 'add', 'name', 'ppvx', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'nolearning'], { stdio: 'pipe' });
    execFileSync('ip', ['-n', probe, 'link', 'add', 'name', 'ppbr', 'type', 'bridge'], { stdio: 'pipe' });
  } catch (e) {
    return `vxlan or bridge devices unavailable (${String((e as { stderr?: Buffer }).stderr ?? e).trim()})`;
  } finally {
    spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  }
  return undefined;
}

/** The lab, built: namespace names, a temp folder, and pod1 -> pod2 pings on demand. */
export interface Lab {
  ns: { n1: string; n2: string; p1: string; p2: string };
  tmp: string;
  /** pod1 pings pod2 `count` times, 0.2 s apart. */
  ping(count: number): Promise<{ ok: boolean; text: string }>;
}

/**
 * Builds the lab (namespaces named `prefix`-node1, ...), runs `body`, then deletes every namespace
 * whatever happens. The temp folder is removed too unless `body` returns normally and `keepTmp`.
 */
export async function withLab<T>(options: { blockOverlay?: boolean; prefix?: string; keepTmp?: boolean }, body: (lab: Lab) => Promise<T>): Promise<T> {
  const prefix = options.prefix ?? `ppc${process.pid}-${Date.now() % 100000}`;
  const ns = { n1: `${prefix}-node1`, n2: `${prefix}-node2`, p1: `${prefix}-pod1`, p2: `${prefix}-pod2` };
  const tmp = mkdtempSync(join(tmpdir(), 'podpath-two-nodes-'));
  const sh = (...args: string[]) => execFileSync(args[0], args.slice(1), { stdio: 'pipe' });
  const inNs = (name: string, ...args: string[]) => sh('ip', 'netns', 'exec', name, ...args);
  let ok = false;
  try {
    for (const n of Object.values(ns)) {
      sh('ip', 'netns', 'add', n);
      sh('ip', '-n', n, 'link', 'set', 'lo', 'up');
      // No IPv6 chatter (DAD, MLD) from the fresh interfaces: the captures hold the lab's flows only.
      spawnSync('ip', ['netns', 'exec', n, 'sh', '-c', 'for f in all default; do echo 1 > /proc/sys/net/ipv6/conf/$f/disable_ipv6; done'], { stdio: 'ignore' });
    }
    // The underlay: one veth between the nodes, both ends called eth0.
    sh('ip', '-n', ns.n1, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.n2);
    const nodes = [
      { ns: ns.n1, pod: ns.p1, me: LAB.node1, peer: LAB.node2 },
      { ns: ns.n2, pod: ns.p2, me: LAB.node2, peer: LAB.node1 },
    ];
    for (const { ns: n, pod, me, peer } of nodes) {
      sh('ip', '-n', n, 'addr', 'add', `${me.underlay}/24`, 'dev', 'eth0');
      sh('ip', '-n', n, 'link', 'set', 'eth0', 'up');
      sh('ip', '-n', n, 'route', 'add', 'default', 'via', '192.168.77.1', 'dev', 'eth0');
      inNs(n, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
      // cni0 and the pod's veth
      sh('ip', '-n', n, 'link', 'add', 'cni0', 'type', 'bridge');
      sh('ip', '-n', n, 'addr', 'add', `${me.cni0}/24`, 'dev', 'cni0');
      sh('ip', '-n', n, 'link', 'set', 'cni0', 'up');
      sh('ip', '-n', n, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
      sh('ip', '-n', n, 'link', 'set', 'veth0', 'master', 'cni0', 'up');
      sh('ip', '-n', pod, 'addr', 'add', `${me.pod}/24`, 'dev', 'eth0');
      sh('ip', '-n', pod, 'link', 'set', 'eth0', 'up');
      sh('ip', '-n', pod, 'route', 'add', 'default', 'via', me.cni0);
      // flannel.1 the way flanneld sets it up: static neighbour + fdb entries, no learning.
      sh('ip', '-n', n, 'link', 'add', 'flannel.1', 'address', me.vtepMac, 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'local', me.underlay, 'dev', 'eth0', 'nolearning');
      sh('ip', '-n', n, 'addr', 'add', `${me.flannel}/32`, 'dev', 'flannel.1');
      sh('ip', '-n', n, 'link', 'set', 'flannel.1', 'mtu', '1450', 'up');
      sh('ip', '-n', n, 'route', 'add', peer.podCidr, 'via', peer.flannel, 'dev', 'flannel.1', 'onlink');
      sh('ip', '-n', n, 'neigh', 'replace', peer.flannel, 'lladdr', peer.vtepMac, 'dev', 'flannel.1', 'nud', 'permanent');
      inNs(n, 'bridge', 'fdb', 'replace', peer.vtepMac, 'dev', 'flannel.1', 'dst', peer.underlay, 'self', 'permanent');
    }

    if (options.blockOverlay) {
      if (!has('iptables')) throw new Error('iptables is not installed: cannot block the overlay');
      inNs(ns.n2, 'iptables', '-A', 'INPUT', '-p', 'udp', '--dport', '8472', '-j', 'DROP');
    }
    const ping = (count: number) =>
      run('ip', ['netns', 'exec', ns.p1, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', LAB.node2.pod], { encoding: 'utf8' }).then(
        (r) => ({ ok: true, text: r.stdout }),
        (e: { stdout?: string; message: string }) => ({ ok: false, text: `${e.stdout ?? ''}${e.message}` }),
      );
    const result = await body({ ns, tmp, ping });
    ok = true;
    return result;
  } finally {
    for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    if (!ok || !options.keepTmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Builds the lab, runs the collector on both nodes at once (node1 under dash and node2 under
 * busybox sh when present) for `duration` seconds while pod1 pings pod2, tears the lab down and
 * returns the archives. Undefined (after a visible SKIP line) where namespaces are unavailable.
 */
export async function collectTwoNodes(
  options: { duration?: number; what?: string; /** node2's own firewall drops UDP 8472 (INPUT), as firewalld may. */ blockOverlay?: boolean } = {},
): Promise<TwoNodeCollection | undefined> {
  const why = labUnavailable();
  if (why) {
    console.log(`SKIP ${options.what ?? 'collector e2e'}: ${why}`);
    return undefined;
  }
  const duration = options.duration ?? 3;
  return withLab({ blockOverlay: options.blockOverlay, keepTmp: true }, async ({ ns, tmp, ping: pingNow }) => {
    const script = join(ROOT, 'bin', 'podpath-collect');
    const shells = [has('dash') ? ['dash'] : ['sh'], has('busybox') ? ['busybox', 'sh'] : ['sh']];
    const collectors = (['node1', 'node2'] as const).map(async (hostname, i) => {
      const dir = join(tmp, hostname);
      const args = ['netns', 'exec', i === 0 ? ns.n1 : ns.n2, ...shells[i], script, '--duration', String(duration), '--no-kubectl', '--keep-folder', '--hostname', hostname, '--out', dir];
      let output: string;
      try {
        const r = await run('ip', args, { encoding: 'utf8', timeout: (duration + 60) * 1000 });
        output = r.stdout + r.stderr;
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`collector on ${hostname} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      }
      return { hostname, archive: `${dir}.tar.gz`, dir, output, shell: shells[i].join(' ') } satisfies NodeCollection;
    });
    for (const c of collectors) c.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    // Give tcpdump a moment to open the interfaces, then make cross-node pod traffic.
    await new Promise((r) => setTimeout(r, 1000));
    const count = Math.max(2, Math.min(8, Math.floor((duration - 1.5) / 0.2)));
    const [a, b, p] = await Promise.all([collectors[0], collectors[1], pingNow(count)]);
    return {
      nodes: [a, b] as [NodeCollection, NodeCollection],
      ping: p.text,
      pingOk: p.ok,
      cleanup: () => rmSync(tmp, { recursive: true, force: true }),
    };
  });
}
