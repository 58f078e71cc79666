/**
 * The CLI verbs by name, each loaded only when it runs: `podpath packets` never loads the analyzer,
 * `podpath --version` loads none of them. The order is the one `--help` lists.
 * src/commands/index.ts has the same commands loaded eagerly (for tests and tools).
 */
import type { Command } from './command.js';

export interface LazyCommand {
  /** yargs command string(s); the first word of the first one is the verb. */
  command: string | string[];
  describe: string;
  load(): Promise<Command>;
}

export const lazyCommands: LazyCommand[] = [
  {
    command: ['analyze <paths..>', '$0 <paths..>'],
    describe: 'Explain every flow in an incident: paths, verdicts, where packets were lost, findings',
    load: async () => (await import('./analyze.js')).analyzeCommand,
  },
  {
    command: 'explain <paths..>',
    describe: 'The hop-by-hop story of one flow or packet, with the evidence of each step',
    load: async () => (await import('./analyze.js')).explainCommand,
  },
  {
    command: 'report [incidents..]',
    describe: 'A report per incident (markdown, html, json) and a ranked index, incidents analyzed in parallel',
    load: async () => (await import('./report.js')).reportCommand,
  },
  {
    command: 'packets <inputs..>',
    describe: 'decode captures: one line (or ndjson record) per packet, inner headers included',
    load: async () => (await import('./packets.js')).packets,
  },
  {
    command: 'dumps [inputs..]',
    describe: 'Recognize and parse saved command outputs (ip addr, ip route, route -n, bridge vlan, kubectl get pods, ...)',
    load: async () => (await import('./dumps.js')).dumpsCommand,
  },
  {
    command: 'inputs <paths..>',
    describe: "List what analyze would read: each input's host, interface, format and commands, with the reason (a dry run)",
    load: async () => (await import('./inputs.js')).inputsCommand,
  },
  {
    command: 'collect',
    describe: 'print the node collector script (--print), or run it on every node at once (--nodes)',
    load: async () => (await import('./collect.js')).collectCommand,
  },
  {
    command: 'topology <paths..>',
    describe: 'Rebuild the network of an incident: hosts, bridges, veth pairs, the VXLAN overlay map, pods',
    load: async () => (await import('./topology.js')).topologyCommand,
  },
];

/** The verb a command string names ("analyze <paths..>" -> "analyze"). */
export function verbOf(c: LazyCommand): string {
  const first = Array.isArray(c.command) ? c.command[0] : c.command;
  return first.split(' ')[0];
}
