/**
 * Helpers for the typed commands a parser answers to in a pasted session (`info.typed`): how
 * `ip`, `bridge`, `kubectl get` and `netstat` take their object or flags. Shared by the parsers and
 * session.ts; imports nothing, so parser files can use it without an import cycle.
 */

/** kubectl and the programs typed for it. */
export const KUBECTL: readonly string[] = ['kubectl', 'k', 'oc', 'kubecolor'];

/** Programs that show a file (`cat /proc/net/route`): `{ file: RegExp }` entries match the file shown. */
export const READERS: ReadonlySet<string> = new Set(['cat', 'more', 'less', 'type']);

/** Options of kubectl/docker/... that take a value (`-n NS`), for skipping to the next word. */
export const VALUE_OPTS: ReadonlySet<string> = new Set(['-c', '--container', '-n', '--namespace', '--context', '--kubeconfig', '-u', '--user', '-e', '--env', '-w', '--workdir', '--name', '-v', '--volume', '--network', '--net', '--entrypoint', '-t', '--target', '--cluster', '-l', '--selector']);

const IP_VALUE_OPTS: ReadonlySet<string> = new Set(['-n', '-netns', '--netns', '-b', '-batch', '-rc', '-rcvbuf', '-l', '-loops', '-f', '-family']);

/** Whether `word` abbreviates `full` (iproute2 style: any non-empty prefix). */
export function abbrev(word: string | undefined, full: string): boolean {
  return word !== undefined && word.length > 0 && full.startsWith(word);
}

/** The object of an `ip` command (`ip -4 -n ns1 addr show` -> "addr"), after its options. */
export function ipObject(args: readonly string[]): string | undefined {
  let i = 0;
  while (i < args.length && args[i].startsWith('-')) i += IP_VALUE_OPTS.has(args[i]) ? 2 : 1;
  return args[i];
}

/** The first argument that is not an option (`bridge -c vlan show` -> "vlan"). */
export function firstPlain(args: readonly string[]): string | undefined {
  return args.find((a) => !a.startsWith('-'));
}

/** The resource of `kubectl [opts] get [opts] RESOURCE` ("pods/x" -> "pods", lower case); undefined without `get`. */
export function kubectlGet(args: readonly string[]): string | undefined {
  const g = args.indexOf('get');
  if (g < 0) return undefined;
  let i = g + 1;
  while (i < args.length && args[i].startsWith('-')) i += VALUE_OPTS.has(args[i]) ? 2 : 1;
  return (args[i] ?? '').toLowerCase().split(/[/,]/)[0];
}

/** What netstat's flags ask for: the routing table (`-r`, `--route`) or the interface table (`-i`). */
export function netstatFlags(args: readonly string[]): { route: boolean; interfaces: boolean } {
  const opts = args.filter((a) => /^-[a-zA-Z]+$/.test(a)).join('') + ' ' + args.filter((a) => a.startsWith('--')).join(' ');
  const route = /^-?[a-zA-Z]*r/.test(opts.replace(/-/g, '')) || opts.includes('--route');
  const interfaces = /i/.test(opts.replace(/--\S+/g, '')) || opts.includes('--interfaces');
  return { route, interfaces };
}

/** The single-letter flags typed together (`-t nat -nvL` -> "tnnvL"), for `iptables -L`, `conntrack -L`. */
export function shortFlags(args: readonly string[]): string {
  return args.filter((a) => /^-[a-zA-Z]+$/.test(a)).join('');
}
