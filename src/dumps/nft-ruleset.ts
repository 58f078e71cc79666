/**
 * `nft list ruleset` (also `nft list table ...`, `nft -a list ...`): tables, chains (type, hook,
 * priority, policy), rules (raw text, counter, comment, NAT, verdict, verdict maps) and sets/maps
 * with their elements, as kube-proxy's nftables mode writes them:
 *
 *   table ip kube-proxy {
 *   	map service-ips {
 *   		type ipv4_addr . inet_proto . inet_service : verdict
 *   		elements = { 10.43.0.10 . tcp . 80 : goto service-ULMVA6XW-default/web/tcp/http }
 *   	}
 *   	chain endpoint-AAAA-default/web/tcp/http__10.42.1.12/8080 {
 *   		counter packets 3 bytes 180 meta l4proto tcp dnat to 10.42.1.12:8080 comment "default/web:http"
 *   	}
 *   }
 *
 * A statement whose braces do not close on its line (multi-line `elements = { ... }`, an anonymous
 * `jump { ... }` chain) is joined with the following lines.
 */
import type { DumpParser, DumpProblem } from './types.js';
import type { NftRecord } from './nat-types.js';
import { ProblemList, nonBlank, numbered, toInt } from './text.js';

const TABLE = /^table\s+(ip|ip6|inet|arp|bridge|netdev)\s+(\S+)\s*\{\s*$/;
const BLOCK = /^(chain|set|map|flowtable|counter|quota|limit|secmark|synproxy|ct\s+helper|ct\s+timeout|ct\s+expectation)\s+(\S+)\s*\{\s*$/;

function detect(lines: string[]): number {
  const nb = nonBlank(lines).slice(0, 300);
  if (nb.length === 0) return 0;
  const first = nb[0].trim();
  if (TABLE.test(first)) return 0.97;
  // `nft list chain ip t c` prints `table ip t {` too; a paste may start inside a table
  const tables = nb.filter((l) => TABLE.test(l.trim())).length;
  if (tables > 0) return 0.8;
  const blocks = nb.filter((l) => BLOCK.test(l.trim())).length;
  const hooks = nb.filter((l) => /^\s*type\s+\w+\s+hook\s+\w+/.test(l)).length;
  if (blocks > 0 && hooks > 0) return 0.6;
  return 0;
}

/** Braces opened minus closed, outside double quotes. */
function braceDelta(s: string): number {
  let d = 0;
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && q) {
      i++;
      continue;
    }
    if (c === '"') q = !q;
    else if (!q && c === '{') d++;
    else if (!q && c === '}') d--;
  }
  return d;
}

/** The text with every {...} and "..." replaced by spaces (to read the top level of a rule). */
function topLevel(s: string): string {
  let out = '';
  let depth = 0;
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === '"') q = false;
      out += ' ';
      continue;
    }
    if (c === '"') {
      q = true;
      out += ' ';
    } else if (c === '{') {
      depth++;
      out += ' ';
    } else if (c === '}') {
      depth--;
      out += ' ';
    } else out += depth > 0 ? ' ' : c;
  }
  return out;
}

/** Splits at top-level commas (outside braces, parentheses and quotes). */
function splitTop(s: string, sep = ','): string[] {
  const out: string[] = [];
  let depth = 0;
  let q = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      cur += c;
      if (c === '\\' && i + 1 < s.length) cur += s[++i];
      else if (c === '"') q = false;
      continue;
    }
    if (c === '"') q = true;
    if (c === '{' || c === '(') depth++;
    if (c === '}' || c === ')') depth--;
    if (depth === 0 && s.startsWith(sep, i)) {
      out.push(cur.trim());
      cur = '';
      i += sep.length - 1;
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** The text inside the first {...} starting at or after `from`. */
function braced(s: string, from: number): { inner: string; end: number } | undefined {
  const open = s.indexOf('{', from);
  if (open < 0) return undefined;
  let depth = 0;
  let q = false;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === '"') q = false;
      continue;
    }
    if (c === '"') q = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return { inner: s.slice(open + 1, i), end: i + 1 };
  }
  return undefined;
}

const unquote = (s: string) => (s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1).replace(/\\"/g, '"') : s);

/** `key : value comment "x"` elements of a set or map. */
function elementsOf(inner: string): { key: string; value?: string; comment?: string }[] {
  return splitTop(inner).map((e) => {
    let comment: string | undefined;
    const cm = /\s*comment\s+("(?:[^"\\]|\\.)*"|\S+)/.exec(e);
    let text = e;
    if (cm) {
      comment = unquote(cm[1]);
      text = (e.slice(0, cm.index) + e.slice(cm.index + cm[0].length)).trim();
    }
    const parts = splitTop(text, ' : ');
    const el: { key: string; value?: string; comment?: string } = { key: parts[0].trim() };
    if (parts.length > 1) el.value = parts.slice(1).join(' : ').trim();
    if (comment !== undefined) el.comment = comment;
    return el;
  });
}

const VERDICTS = /(?:^|\s)(accept|drop|reject|return|queue|continue|jump|goto)(?=\s|$)/g;

function readRule(r: NftRecord, raw: string): void {
  const top = topLevel(raw);
  const ctr = /\bcounter\s+packets\s+(\d+)\s+bytes\s+(\d+)/.exec(top);
  if (ctr) {
    r.packets = toInt(ctr[1]);
    r.bytes = toInt(ctr[2]);
  }
  const cm = /\bcomment\s+("(?:[^"\\]|\\.)*")\s*$/.exec(raw);
  if (cm) r.comment = unquote(cm[1]);
  let v: RegExpExecArray | null;
  let last: RegExpExecArray | undefined;
  VERDICTS.lastIndex = 0;
  while ((v = VERDICTS.exec(top))) last = v;
  if (last) {
    // `meta l4proto != { icmp, ... }` and `reject with icmp type ...` keep the first verdict word
    r.verdict = last[1];
    if (last[1] === 'jump' || last[1] === 'goto') {
      const target = /^\s*(\S+)/.exec(raw.slice(last.index + last[0].length));
      if (target && target[1] !== '{') r[last[1] as 'jump' | 'goto'] = unquote(target[1]);
      else if (target) r[last[1] as 'jump' | 'goto'] = '{anonymous}';
    }
  }
  const nat = /(?:^|\s)(dnat|snat|masquerade|redirect)(?=\s|$)/.exec(top);
  if (nat) {
    const type = nat[1] as 'dnat' | 'snat' | 'masquerade' | 'redirect';
    const n: NonNullable<NftRecord['nat']> = { type };
    let after = raw.slice(nat.index + nat[0].length).replace(/\s+comment\s+"(?:[^"\\]|\\.)*"\s*$/, '');
    after = after.replace(/^\s+(ip6?|inet)\b/, '');
    const to = /^\s+to\s+(.*)$/.exec(after);
    let flagsText = after;
    if (to) {
      // `to ADDR[:PORT] [flags]` or `to EXPR map {...}` / `map @m`
      const expr = to[1];
      const mapAt = /\bmap\s+(@\S+|\{)/.exec(expr);
      if (mapAt) {
        const b = mapAt[1] === '{' ? braced(expr, mapAt.index) : undefined;
        const end = b ? b.end : mapAt.index + mapAt[0].length;
        n.to = expr.slice(0, end).trim();
        flagsText = expr.slice(end);
      } else {
        const w = /^(\S+)(.*)$/.exec(expr)!;
        n.to = w[1];
        flagsText = w[2];
      }
    }
    const flags = (flagsText.match(/\b(fully-random|random|persistent|netmap|prefix)\b/g) ?? []) as string[];
    if (flags.length) n.flags = flags;
    r.nat = n;
  }
  const vi0 = /(?:^|\s)vmap(?=\s|$)/.exec(top);
  const vi = vi0 ? { index: vi0.index + vi0[0].length - 4 } : undefined;
  if (vi) {
    const key = raw.slice(0, vi.index).replace(/\bcounter\s+packets\s+\d+\s+bytes\s+\d+\s*/, '').trim();
    const vmap: NonNullable<NftRecord['vmap']> = { key };
    const after = raw.slice(vi.index + 4).trimStart();
    const at = /^@(\S+)/.exec(after);
    if (at) vmap.map = at[1];
    else {
      const b = braced(raw, vi.index);
      if (b) vmap.elements = elementsOf(b.inner).map((e) => ({ key: e.key, verdict: e.value ?? '' }));
    }
    r.vmap = vmap;
  }
}

type Frame =
  | { kind: 'top' }
  | { kind: 'table'; family: string; table: string }
  | { kind: 'chain'; family: string; table: string; rec: NftRecord; rules: number }
  | { kind: 'set'; rec: NftRecord }
  | { kind: 'other' }
  | { kind: 'anon' };

function parse(lines: string[], firstLine: number): { records: NftRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('nft ruleset');
  const records: NftRecord[] = [];
  const stack: Frame[] = [{ kind: 'top' }];
  let pending: { text: string; line: number; depth: number } | undefined;
  const statement = (text: string, n: number): void => {
    const f = stack[stack.length - 1];
    const t = text.replace(/\s+#\s*handle\s+\d+\s*$/, '').trim();
    if (f.kind === 'chain') {
      const ty = /^type\s+(\S+)\s+hook\s+(\S+)(?:\s+device\s+"?([^";\s]+)"?)?\s+priority\s+([^;]+);(?:\s*policy\s+(\w+);)?\s*$/.exec(t);
      if (ty) {
        f.rec.type = ty[1];
        f.rec.hook = ty[2];
        if (ty[3]) f.rec.device = ty[3];
        f.rec.priority = ty[4].trim();
        if (ty[5]) f.rec.policy = ty[5];
        return;
      }
      const pol = /^policy\s+(\w+);?$/.exec(t);
      if (pol) {
        f.rec.policy = pol[1];
        return;
      }
      const cm = /^comment\s+("(?:[^"\\]|\\.)*")$/.exec(t);
      if (cm) {
        f.rec.comment = unquote(cm[1]);
        return;
      }
      const r: NftRecord = { kind: 'rule', family: f.family, table: f.table, chain: f.rec.name!, raw: t.replace(/\s+/g, ' '), index: ++f.rules, line: n };
      readRule(r, r.raw!);
      records.push(r);
      return;
    }
    if (f.kind === 'set') {
      const rec = f.rec;
      let m: RegExpExecArray | null;
      if ((m = /^(type|typeof)\s+(.+?);?$/.exec(t))) rec.keyType = m[2].trim();
      else if ((m = /^flags\s+(.+?);?$/.exec(t))) rec.flags = m[1].split(/\s*,\s*/);
      else if ((m = /^comment\s+("(?:[^"\\]|\\.)*");?$/.exec(t))) rec.comment = unquote(m[1]);
      else if (/^elements\s*=/.test(t)) {
        const b = braced(t, 0);
        if (!b) problems.add(n, `set ${rec.name}: elements without a closing brace`);
        else rec.elements = (rec.elements ?? []).concat(elementsOf(b.inner));
      } else if (/^(size|timeout|gc-interval|auto-merge|policy|counter|devices|hook|quota|limit|packets|bytes)\b/.test(t)) {
        // properties podpath does not need
      } else problems.unrecognized(n, t, `in ${rec.kind} ${rec.name}`);
      return;
    }
    if (f.kind === 'table') {
      if (/^(comment\s+"|flags\s+)/.test(t)) {
        const cm = /^comment\s+("(?:[^"\\]|\\.)*")/.exec(t);
        const tr = records.find((x) => x.kind === 'table' && x.family === f.family && x.table === f.table);
        if (cm && tr) tr.comment = unquote(cm[1]);
        return;
      }
      problems.unrecognized(n, t, `in table ${f.family} ${f.table}`);
      return;
    }
    if (f.kind === 'other' || f.kind === 'anon') return;
    problems.unrecognized(n, t, 'expected "table FAMILY NAME {"');
  };

  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (pending) {
      pending.text += ' ' + t;
      pending.depth += braceDelta(t);
      if (pending.depth <= 0) {
        statement(pending.text, pending.line);
        pending = undefined;
      }
      continue;
    }
    if (t === '' || t.startsWith('#')) continue;
    const f = stack[stack.length - 1];
    if (t === '}') {
      if (stack.length === 1) problems.add(n, "a '}' closes nothing");
      else stack.pop();
      continue;
    }
    let m: RegExpExecArray | null;
    if (f.kind === 'top') {
      if ((m = TABLE.exec(t))) {
        stack.push({ kind: 'table', family: m[1], table: m[2] });
        records.push({ kind: 'table', family: m[1], table: m[2], line: n });
        continue;
      }
      problems.unrecognized(n, t, 'expected "table FAMILY NAME {"');
      continue;
    }
    if (f.kind === 'table' && (m = BLOCK.exec(t))) {
      const what = m[1].replace(/\s+/g, ' ');
      const name = unquote(m[2]);
      if (what === 'chain') {
        const rec: NftRecord = { kind: 'chain', family: f.family, table: f.table, name, line: n };
        records.push(rec);
        stack.push({ kind: 'chain', family: f.family, table: f.table, rec, rules: 0 });
      } else if (what === 'set' || what === 'map') {
        const rec: NftRecord = { kind: what, family: f.family, table: f.table, name, line: n };
        records.push(rec);
        stack.push({ kind: 'set', rec });
      } else {
        const rec: NftRecord = what === 'flowtable' ? { kind: 'flowtable', family: f.family, table: f.table, name, line: n } : { kind: 'object', objectType: what, family: f.family, table: f.table, name, line: n };
        records.push(rec);
        stack.push({ kind: 'other' });
      }
      continue;
    }
    const d = braceDelta(t);
    if (d > 0) {
      pending = { text: t, line: n, depth: d };
      continue;
    }
    if (d < 0) {
      problems.add(n, `unbalanced '}' in ${JSON.stringify(t)}`);
      continue;
    }
    statement(t, n);
  }
  if (pending) problems.add(pending.line, `truncated nft ruleset: the statement starting here never closes its '{'`);
  if (stack.length > 1) {
    const open = stack
      .slice(1)
      .map((f) => (f.kind === 'table' ? `table ${f.family} ${f.table}` : f.kind === 'chain' ? `chain ${f.rec.name}` : f.kind === 'set' ? `${f.rec.kind} ${f.rec.name}` : 'a block'))
      .join(' > ');
    problems.add(firstLine + lines.length - 1, `truncated nft ruleset: ${open} not closed by '}'`);
  }
  if (records.length === 0 && nonBlank(lines).length > 0 && problems.problems.length === 0)
    problems.add(firstLine, 'no nft tables found (expected "table FAMILY NAME {")');
  return { records, problems: problems.done() };
}

export const nftRuleset: DumpParser<'nft-ruleset'> = {
  info: {
    command: 'nft-ruleset',
    displayName: 'nft list ruleset',
    nameHint: { pattern: /(^|-)nft(ables)?(-|$)/, rank: 140 },
    typed: [{ programs: ['nft'], args: (a) => !a.some((x) => x === '--json' || /^-[a-zA-Z]*j/.test(x)) && a.find((x) => !x.startsWith('-')) === 'list' }],
    description: 'nft list ruleset / nft list table (tables, chains, rules, sets, maps, verdict maps)',
    detect,
  },
  parse,
};
