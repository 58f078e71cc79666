/**
 * A `hostname` dump: one line holding only a host name (`hostname`, `cat /etc/hostname`,
 * `hostname -f`). Detection is deliberately weak (0.25, below the registry's 0.3): any single word looks
 * like this, so it counts only when the file name (`hostname`) or the typed command says so.
 */
import type { DumpParser, DumpProblem, HostnameRecord } from './types.js';
import { nonBlank, numbered, quote } from './text.js';

const NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

function detect(lines: string[]): number {
  const nb = nonBlank(lines);
  if (nb.length !== 1) return 0;
  const t = nb[0].trim();
  if (!NAME.test(t)) return 0;
  return /^\d+$/.test(t) ? 0.1 : 0.25;
}

function parse(lines: string[], firstLine: number): { records: HostnameRecord[]; problems: DumpProblem[] } {
  const records: HostnameRecord[] = [];
  const problems: DumpProblem[] = [];
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '') continue;
    if (records.length === 0 && NAME.test(t)) records.push({ hostname: t.replace(/\.$/, ''), line: n });
    else problems.push({ line: n, message: `unexpected line in a hostname dump: ${quote(t)} (expected one host name)` });
    if (problems.length >= 3) break;
  }
  return { records, problems };
}

export const hostname: DumpParser<'hostname'> = {
  info: {
    command: 'hostname',
    displayName: 'hostname',
    description: 'hostname / cat /etc/hostname (one host name)',
    detect,
    nameHint: { pattern: /hostname/, rank: 50 },
    // `hostname -i` prints addresses, not the name
    typed: [{ programs: ['hostname'], args: (a) => a.every((x) => x.startsWith('-')) && !a.some((x) => /^-[iIA]|--ip|--all-ip/.test(x)) }, { file: /(^|\/)hostname$/ }],
    listField: 'hostname',
  },
  parse,
};
