/**
 * The dump parsers' registry: the one ordered list of parsers, and what is derived from their
 * `info` records (COMMAND_NAMES, file-name hints, the typed commands of pasted sessions).
 *
 * How to add a dump format (say `conntrack -L`, id 'conntrack'):
 *   1. src/dumps/conntrack.ts: `export const conntrack: DumpParser<'conntrack'> = { info, parse }`
 *      with a complete info record (command, displayName, description, detect, nameHint, typed,
 *      listField; see DumpInfo in ./types.ts; helpers for `typed` in ./typed.ts).
 *   2. ./types.ts: the record interface and one line in `RecordsOf` ('conntrack': ConntrackRecord);
 *      that also makes 'conntrack' a DumpCommand.
 *   3. here: its import, and one line in `registry` below.
 * Nothing else: parseDump, detectDump, `podpath dumps` and input discovery find it from here
 * (the topology uses only the records it knows). test/dumps/registry.test.ts checks the info record;
 * test/dumps/parsers.test.ts wants a SAMPLE of the new output (it does not compile without one) and
 * checks that every parser refuses every other parser's sample.
 */
import { basename } from 'node:path';
import type { DumpCommand, DumpParser, TypedCommand } from './types.js';
import { ipAddr } from './ip-addr.js';
import { ipAddrJson } from './ip-addr-json.js';
import { ipLink } from './ip-link.js';
import { ipRoute } from './ip-route.js';
import { routeN } from './route-n.js';
import { bridgeVlan } from './bridge-vlan.js';
import { bridgeFdb } from './bridge-fdb.js';
import { ipNeigh } from './ip-neigh.js';
import { kubectlNodes, kubectlPods } from './kubectl.js';
import { sockets } from './sockets.js';
import { hostname } from './hostname.js';
import { iptablesSave } from './iptables-save.js';
import { iptablesList } from './iptables-list.js';
import { nftRuleset } from './nft-ruleset.js';
import { ipvsadm } from './ipvsadm.js';
import { conntrack } from './conntrack.js';
import { kubectlEndpointSlices, kubectlEndpoints, kubectlServices } from './kubectl-services.js';

/**
 * Every parser, one line each. The order breaks ties: between parsers whose content scores are
 * equal (and no file name decides), and between typed-command patterns that overlap.
 */
export const registry = [
  ipAddr,
  ipAddrJson,
  ipLink,
  ipRoute,
  routeN,
  bridgeVlan,
  bridgeFdb,
  ipNeigh,
  kubectlPods,
  kubectlNodes,
  sockets,
  hostname,
  iptablesSave,
  iptablesList,
  nftRuleset,
  ipvsadm,
  conntrack,
  kubectlServices,
  kubectlEndpoints,
  kubectlEndpointSlices,
] as const;

// A RecordsOf id without a parser in the list above does not compile (the error names the id).
type Registered = (typeof registry)[number]['info']['command'];
type Unregistered = Exclude<DumpCommand, Registered | 'unknown'>;
const everyCommandHasAParser: [Unregistered] extends [never] ? true : { noParserFor: Unregistered } = true;
void everyCommandHasAParser;

/** Every parser, in registry order. */
export const parsers: readonly DumpParser[] = registry as readonly DumpParser[];

/** The first parser of each command id: the one that names it and gives its hints and typed commands. */
function primaries(): DumpParser[] {
  const seen = new Set<DumpCommand>();
  return parsers.filter((p) => !seen.has(p.info.command) && seen.add(p.info.command));
}

/** How messages name each command ("route -n"). */
export const COMMAND_NAMES: Record<DumpCommand, string> = Object.fromEntries([
  ...primaries().map((p) => [p.info.command, p.info.displayName]),
  ['unknown', 'unknown'],
]) as Record<DumpCommand, string>;

/** File-name patterns, most specific first (by rank; ties in registry order). */
const NAME_HINTS: readonly [DumpCommand, RegExp][] = parsers
  .flatMap((p, order) => (p.info.nameHint ? [{ command: p.info.command, ...p.info.nameHint, order }] : []))
  .sort((a, b) => a.rank - b.rank || a.order - b.order)
  .map((h): [DumpCommand, RegExp] => [h.command, h.pattern]);

/** The commands a file name suggests ("route-n.txt" -> route-n), most specific first. */
export function nameHints(input: string): DumpCommand[] {
  const b = basename(input).toLowerCase().replace(/\.(txt|out|log|raw|json|dump)$/, '').replace(/[^a-z0-9]+/g, '-');
  const out: DumpCommand[] = [];
  for (const [c, re] of NAME_HINTS) if (re.test(b) && !out.includes(c)) out.push(c);
  return out;
}

/** Every typed-command pattern with its command, in registry order (session.ts matches them). */
export const TYPED_COMMANDS: readonly { command: DumpCommand; displayName: string; typed: TypedCommand }[] = parsers.flatMap((p) =>
  (p.info.typed ?? []).map((typed) => ({ command: p.info.command, displayName: p.info.displayName, typed })),
);

/** The programs some parser's typed commands name (session.ts takes a line starting with one for a command). */
export const TYPED_PROGRAMS: ReadonlySet<string> = new Set(TYPED_COMMANDS.flatMap((t) => ('programs' in t.typed ? t.typed.programs : [])));

/** The parser that reads `command` (the first one registered for it). */
export function parserFor(command: DumpCommand): DumpParser | undefined {
  return parsers.find((p) => p.info.command === command);
}
