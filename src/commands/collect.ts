/**
 * `podpath collect`: hands out the node collector (bin/podpath-collect, a POSIX sh script) so it
 * can be copied to nodes that have no Node.js. `--print` writes the script; without it, how to use it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import type { Command } from './command.js';
import { EXIT, UserError, type Io } from '../io.js';

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

Options of the script: podpath collect --print | sh -s -- --help
Through kubectl debug, and what it collects: docs/collector.md
`;

export const collectCommand: Command = {
  command: 'collect',
  describe: 'print the node collector script (--print) or how to use it',
  builder: (y: Argv) =>
    y.option('print', {
      type: 'boolean',
      describe: 'write the collector script (bin/podpath-collect) to standard output',
    }),
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    if (argv.print) {
      const script = await readCollector();
      if (!io.out(script)) await io.drain();
      return EXIT.OK;
    }
    if (!io.out(USAGE)) await io.drain();
    return EXIT.OK;
  },
};
