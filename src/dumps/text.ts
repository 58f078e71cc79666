/**
 * Shared text helpers of the dump parsers: decoding, cleaning, dedent, tokens, addresses, and a
 * small JSON reader that remembers the line of every object (records keep their evidence line).
 */
import type { DumpProblem } from './types.js';

/** A line of input with its 1-based line number. */
export interface NumberedLine {
  n: number;
  text: string;
}

export function numbered(lines: string[], firstLine: number): NumberedLine[] {
  return lines.map((text, i) => ({ n: firstLine + i, text }));
}

/** True when the bytes look like binary data rather than text (NUL bytes or many control bytes). */
export function looksBinary(b: Uint8Array): boolean {
  const n = Math.min(b.length, 8192);
  if (n === 0) return false;
  let control = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0) return true;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 27 && c !== 12 && c !== 8) control++;
  }
  return control / n > 0.1;
}

/** Decodes bytes as UTF-8, or as Latin-1 when they are not valid UTF-8. Never throws. */
export function decodeText(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  }
}

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte escapes, and 8-bit CSI.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]/g;

export function stripAnsi(s: string): string {
  return s.includes('\x1b') || s.includes('\x9b') ? s.replace(ANSI, '') : s;
}

/**
 * Cleans text into lines: BOM, ANSI colour codes, CR (CRLF and stray CR) removed; a final newline
 * does not make an extra line. Line i of the result is line i+1 of the input.
 */
export function cleanLines(text: string): string[] {
  let t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  t = stripAnsi(t);
  const lines = t.split('\n').map((l) => l.replace(/\r/g, '').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `[...]`, `...`, `…` lines written by people who cut the output. */
export function isElision(line: string): boolean {
  return /^\s*(?:\[\s*(?:\.\.\.|…)\s*\]|\.\.\.+|…|\(\s*\.\.\.\s*\)|<\s*snip\s*>|\[\s*snip\s*\])\s*$/i.test(line);
}

/**
 * Removes the whitespace prefix common to every non-blank line (a TAB, 8 spaces, ...), turns
 * elision lines and whitespace-only lines into empty lines. Keeps the line count.
 */
export function dedent(lines: string[]): string[] {
  let prefix: string | undefined;
  for (const l of lines) {
    if (l.trim() === '' || isElision(l)) continue;
    const lead = /^[ \t]*/.exec(l)![0];
    if (prefix === undefined) prefix = lead;
    else {
      let i = 0;
      while (i < prefix.length && i < lead.length && prefix[i] === lead[i]) i++;
      prefix = prefix.slice(0, i);
    }
    if (prefix === '') break;
  }
  const p = prefix ?? '';
  return lines.map((l) => {
    if (l.trim() === '' || isElision(l)) return '';
    return p && l.startsWith(p) ? l.slice(p.length) : l;
  });
}

export function firstNonBlank(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) if (lines[i].trim() !== '') return i;
  return -1;
}

export function nonBlank(lines: string[]): string[] {
  return lines.filter((l) => l.trim() !== '');
}

export function words(s: string): string[] {
  const t = s.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** Shortens a line for messages. */
export function quote(s: string, max = 60): string {
  const t = s.trim();
  return `'${t.length > max ? t.slice(0, max - 1) + '…' : t}'`;
}

/**
 * Collects "unrecognized line" problems, at most `limit` of them, then one summary line.
 */
export class ProblemList {
  readonly problems: DumpProblem[] = [];
  private skipped = 0;
  private firstSkipped = 0;
  constructor(
    private readonly what: string,
    private readonly limit = 5,
  ) {}
  add(line: number, message: string): void {
    this.problems.push({ line, message });
  }
  unrecognized(line: number, text: string, hint = ''): void {
    const unrecognized = this.problems.filter((p) => p.message.startsWith('unrecognized')).length;
    if (unrecognized >= this.limit) {
      if (this.skipped === 0) this.firstSkipped = line;
      this.skipped++;
      return;
    }
    this.problems.push({ line, message: `unrecognized ${this.what} line ${quote(text)}${hint ? ` (${hint})` : ''}` });
  }
  done(): DumpProblem[] {
    if (this.skipped > 0)
      this.problems.push({ line: this.firstSkipped, message: `${this.skipped} more unrecognized ${this.what} line(s) not shown` });
    this.skipped = 0;
    return this.problems;
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

export function isIPv6(s: string): boolean {
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+(%[\w.-]+)?$/.test(s)) return false;
  const core = s.split('%')[0];
  const dbl = core.split('::').length - 1;
  if (dbl > 1) return false;
  const groups = core.split(':').filter((g) => g !== '');
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g) && !(g.includes('.') && isIPv4(g)))) return false;
  return dbl === 1 ? groups.length <= 7 : groups.length === 8 || (groups.length === 7 && core.includes('.'));
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

export function familyOf(addr: string): 'inet' | 'inet6' {
  return addr.includes(':') ? 'inet6' : 'inet';
}

/** 255.255.255.0 -> 24; undefined when not a contiguous mask. */
export function maskToPrefix(mask: string): number | undefined {
  if (!isIPv4(mask)) return undefined;
  const n = mask.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  let bits = 0;
  let seenZero = false;
  for (let i = 31; i >= 0; i--) {
    const one = Math.floor(n / 2 ** i) % 2 === 1;
    if (one && seenZero) return undefined;
    if (one) bits++;
    else seenZero = true;
  }
  return bits;
}

/** Little-endian hex of /proc/net/route ("0047A8C0") -> "192.168.71.0". */
export function hexToIPv4LE(hex: string): string | undefined {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) return undefined;
  const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `${b[3]}.${b[2]}.${b[1]}.${b[0]}`;
}

export const MAC = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;

export function isMac(s: string): boolean {
  return MAC.test(s);
}

export function toInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

// ---------------------------------------------------------------------------------------------
// JSON with line numbers

export class JsonError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Lines of parsed JSON objects and arrays (1-based, relative to the text given). */
export type JsonLines = WeakMap<object, number>;

/**
 * Parses strict JSON and remembers the line where each object or array starts. Throws JsonError
 * (with the line) on malformed input. Accepts several top-level values one after another
 * (`jq` output of a stream) and returns them as an array in that case.
 */
export function parseJsonWithLines(text: string): { value: unknown; lines: JsonLines } {
  const lines: JsonLines = new WeakMap();
  let i = 0;
  let line = 1;
  const len = text.length;
  const ws = () => {
    while (i < len) {
      const c = text[i];
      if (c === '\n') line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      i++;
    }
  };
  const fail = (what: string): never => {
    const got = i < len ? `'${text[i]}'` : 'the end of the input';
    throw new JsonError(`malformed JSON: expected ${what}, found ${got}`, line);
  };
  const str = (): string => {
    if (text[i] !== '"') fail('a string');
    const start = i;
    i++;
    while (i < len && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text[i] === '\n') fail('the end of the string');
      i++;
    }
    if (i >= len) fail('the end of the string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('a valid string');
    }
  };
  let depth = 0;
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      if (++depth > 200) fail('less nesting');
      const o: Record<string, unknown> = {};
      lines.set(o, line);
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
        return o;
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i] !== ':') fail("':'");
        i++;
        o[k] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          depth--;
          return o;
        }
        fail("',' or '}'");
      }
    }
    if (c === '[') {
      if (++depth > 200) fail('less nesting');
      const a: unknown[] = [];
      lines.set(a, line);
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          depth--;
          return a;
        }
        fail("',' or ']'");
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 40));
    if (!m) return fail('a JSON value');
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const values: unknown[] = [];
  ws();
  while (i < len) {
    values.push(value());
    ws();
  }
  if (values.length === 0) throw new JsonError('malformed JSON: empty', 1);
  if (values.length === 1) return { value: values[0], lines };
  const all: unknown[] = values;
  lines.set(all, 1);
  return { value: all, lines };
}

/** True when the first non-blank character of the lines opens JSON. */
export function startsLikeJson(lines: string[]): boolean {
  const i = firstNonBlank(lines);
  if (i < 0) return false;
  return /^\s*[[{]/.test(lines[i]) && !/^\s*\[(?:\.\.\.|…)\]/.test(lines[i]);
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' ? toInt(v) : undefined;
}

/**
 * Parses JSON lines for a parser: returns the value and a line function, or a problem.
 */
export function readJson(
  lines: string[],
  firstLine: number,
): { ok: true; value: unknown; lineOf: (o: unknown, fallback?: number) => number } | { ok: false; problem: DumpProblem } {
  try {
    const { value, lines: map } = parseJsonWithLines(lines.join('\n'));
    return {
      ok: true,
      value,
      lineOf: (o, fallback) =>
        typeof o === 'object' && o !== null && map.has(o) ? map.get(o)! + firstLine - 1 : (fallback ?? firstLine),
    };
  } catch (e) {
    const je = e instanceof JsonError ? e : new JsonError(String((e as Error)?.message ?? e), 1);
    return { ok: false, problem: { line: je.line + firstLine - 1, message: je.message } };
  }
}

const jsonCache = new WeakMap<string[], { ok: boolean; value?: unknown }>();

/** JSON.parse of the lines, once per lines array (every detector looks at the same array). */
export function parsedJson(lines: string[]): { ok: boolean; value?: unknown } {
  let r = jsonCache.get(lines);
  if (!r) {
    try {
      r = { ok: true, value: JSON.parse(lines.join('\n')) };
    } catch {
      r = { ok: false };
    }
    jsonCache.set(lines, r);
  }
  return r;
}

/**
 * Detection of a JSON dump by its structure: an array whose objects `match` (0.95; some match: 0.6;
 * an empty array: 0.25, for the file name to decide). Malformed JSON that `looksLike` (a regex test on
 * the text) gets 0.5, so that the right parser reports where it breaks.
 */
export function detectJson(
  lines: string[],
  match: (o: Record<string, unknown>) => boolean,
  looksLike: (head: string) => boolean,
  matchTop?: (top: unknown) => boolean,
): number {
  if (!startsLikeJson(lines)) return 0;
  const j = parsedJson(lines);
  if (!j.ok) return looksLike(lines.slice(0, 400).join('\n')) ? 0.5 : 0;
  if (matchTop?.(j.value)) return 0.95;
  if (!Array.isArray(j.value)) return 0;
  if (j.value.length === 0) return 0.25;
  const els = j.value.slice(0, 50);
  const good = els.filter((e) => isObj(e) && match(e)).length;
  return good === els.length ? 0.95 : good > 0 ? 0.6 : 0;
}
