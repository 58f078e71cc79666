/**
 * `podpath collect`: hands out the node collector (bin/podpath-collect, a POSIX sh script) so it
 * can be copied to nodes that have no Node.js. `--print` writes the script; without it, how to use it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import type { Command } from './command.js';
import { EXIT, UserError, type Io } from '../io.js';
import { orchestrate, OrchestrateError, parseNodes } from '../collect/orchestrate.js';

/** bin/podpath-collect in the installed package (this module is dist/src/commands/collect.js). */
export const COLLECTOR_PATH = fileURLToPath(new URL('../../../bin/podpath-collect', import.meta.url));

export async function readCollector(): Promise<string> {
  try {
    return await readFile(COLLECTOR_PATH, 'utf8');
  } catch (e) {
    throw new UserError(
      `the collector script is missing from this install (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}): bin/podpath-collect`,
      EXIT.NO_INPUT,
    );
  }
}

export const USAGE = `podpath collect: the node collector, bin/podpath-collect (POSIX sh; needs tcpdump and iproute2 on
the node, not Node.js). It saves the node's network state (ip addr/link/route, route -n, bridge
vlan/fdb, ip neigh, ss, kubectl pods when kubectl works), captures on the default-route NIC, the
bridges (cni0) and the VXLAN/Geneve devices (flannel.1) in parallel, and packs DIR.tar.gz.
It changes nothing on the node.

Get the script:
  podpath collect --print > podpath-collect

Run it as root on both nodes of a flow at the same moment, while the problem happens:
  scp podpath-collect node1: && scp podpath-collect node2:
  T=$(( $(date +%s) + 20 ))    # both start at this Unix second (clocks synced by NTP)
  for n in node1 node2; do
    ssh -n "$n" sudo sh podpath-collect --start-epoch "$T" --duration 30 --out "/tmp/podpath-$n" &
  done; wait
  scp node1:/tmp/podpath-node1.tar.gz node2:/tmp/podpath-node2.tar.gz .

Or without copying it to the node:
  podpath collect --print | ssh node1 sudo sh -s -- --duration 30 --out /tmp/podpath-node1

Then:
  podpath analyze podpath-node1.tar.gz podpath-node2.tar.gz

Or all nodes at once, into one incident folder (the script goes in on standard input, the
archive comes back on standard output; nothing is left on the nodes):
  podpath collect --nodes node1,node2 --via ssh --duration 30 --out incident-1
  podpath collect --nodes node1,node2 --via kubectl --image busybox --duration 30 --out incident-1
  podpath analyze incident-1

Options of the script: podpath collect --print | sh -s -- --help
Through kubectl debug, and what it collects: docs/collector.md
`;

export const collectCommand: Command = {
  command: 'collect',
  describe: 'print the node collector script (--print), or run it on every node at once (--nodes)',
  builder: (y: Argv) =>
    y
      .option('print', { type: 'boolean', describe: 'write the collector script (bin/podpath-collect) to standard output' })
      .option('nodes', { type: 'string', describe: 'run the collector on these nodes at once: a,b or NAME=user@host,...' })
      .option('via', { choices: ['ssh', 'kubectl'], default: 'ssh', describe: 'how to reach the nodes (with --nodes)' })
      .option('duration', { type: 'number', default: 30, describe: 'capture seconds (with --nodes)' })
      .option('out', { type: 'string', describe: 'the incident folder to create (with --nodes)' })
      .option('image', { type: 'string', default: 'busybox', describe: 'kubectl debug image (needs chroot)' })
      .option('ssh-opts', { type: 'string', describe: 'extra ssh options, split at spaces ("-i key -o UserKnownHostsFile=f")' })
      .option('sudo', { type: 'boolean', default: true, describe: 'run the remote collector with sudo (ssh; --no-sudo for root logins)' })
      .option('lead', { type: 'number', describe: 'seconds until the common start (default 5 for ssh, 30 for kubectl)' })
      .option('incident', { type: 'string', describe: 'incident id (default: UTC time + random)' })
      .option('collector-args', { type: 'string', describe: 'more collector options, split at spaces ("--max-total 100 --interfaces eth0")' }),
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    if (argv.print) {
      const script = await readCollector();
      if (!io.out(script)) await io.drain();
      return EXIT.OK;
    }
    if (typeof argv.nodes === 'string') {
      const nodes = parseNodes(argv.nodes);
      if (typeof nodes === 'string') throw new UserError(`--nodes: ${nodes}`, EXIT.USAGE);
      if (typeof argv.out !== 'string' || argv.out === '') throw new UserError('--nodes needs --out DIR (the incident folder to create)', EXIT.USAGE);
      const duration = argv.duration as number;
      if (!Number.isInteger(duration) || duration < 1 || duration > 86400) throw new UserError(`--duration must be 1..86400 seconds with --nodes: ${duration}`, EXIT.USAGE);
      const lead = argv.lead as number | undefined;
      if (lead !== undefined && (!Number.isInteger(lead) || lead < 0 || lead > 3600)) throw new UserError(`--lead must be 0..3600 seconds: ${lead}`, EXIT.USAGE);
      if (argv.incident !== undefined && !/^[A-Za-z0-9_.:-]{1,100}$/.test(String(argv.incident))) throw new UserError(`--incident: letters, digits and . _ : - only: ${String(argv.incident)}`, EXIT.USAGE);
      const words = (v: unknown) => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : []);
      try {
        const r = await orchestrate({
          nodes,
          via: argv.via as 'ssh' | 'kubectl',
          duration,
          out: argv.out,
          script: await readCollector(),
          image: argv.image as string,
          sshOpts: words(argv['ssh-opts'] ?? argv.sshOpts),
          sudo: argv.sudo !== false,
          lead,
          incident: argv.incident as string | undefined,
          collectorArgs: words(argv['collector-args'] ?? argv.collectorArgs),
          cwd: io.cwd,
          log: (l) => io.err(`podpath collect: ${l}`),
        });
        const ok = r.nodes.filter((n) => n.extracted).map((n) => n.name);
        io.err(`podpath collect: incident ${r.incident} in ${argv.out}: ${ok.length} of ${r.nodes.length} node(s) collected${ok.length ? ` (${ok.join(', ')})` : ''}; details in ${argv.out}/podpath-manifest.txt`);
        if (!io.out(`podpath analyze ${argv.out}\n`)) await io.drain();
        return r.exitCode === 0 ? EXIT.OK : EXIT.FINDING;
      } catch (e) {
        if (e instanceof OrchestrateError) throw new UserError(e.message, EXIT.USAGE);
        throw e;
      }
    }
    if (!io.out(USAGE)) await io.drain();
    return EXIT.OK;
  },
};
