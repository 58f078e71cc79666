/**
 * The dump parsers' entry points (the parsers themselves are listed in ./registry.ts).
 *
 *   parseDump(input, text)  -> one DumpSection per command output found (a pasted session gives
 *                              several). Cleans (BOM, ANSI colours, CR, non-UTF-8), splits sessions at
 *                              prompts, picks the parser the prompt names or the content matches (the
 *                              file name only breaks ties). Never throws: wrong input is a problem with
 *                              a line number.
 *   detectDump(text)        -> { command, confidence } for input discovery.
 */
import type { DumpCommand, DumpParser, DumpProblem, DumpRecord, DumpSection } from './types.js';
import { cleanLines, decodeText, dedent, firstNonBlank, looksBinary, quote } from './text.js';
import { commandFor, splitSession } from './session.js';
import { COMMAND_NAMES, nameHints, parsers } from './registry.js';

export type { DumpSection, DumpProblem, DumpRecord, DumpCommand, DumpParser } from './types.js';
export { COMMAND_NAMES, nameHints, parserFor, parsers, registry } from './registry.js';

/** Below this confidence content is not recognized. */
export const MIN_CONFIDENCE = 0.3;
/** A parser the file name suggests needs only this much (a `hostname` file holding one word). */
export const HINTED_MIN = 0.2;
/** Scores this close to the best one are a tie, which the file name breaks. */
const TIE = 0.15;

interface Scored {
  parser: DumpParser;
  score: number;
}

function score(lines: string[]): Scored[] {
  const out: Scored[] = [];
  for (const parser of parsers) {
    let s = 0;
    try {
      s = parser.info.detect(lines);
    } catch {
      s = 0;
    }
    out.push({ parser, score: Number.isFinite(s) ? Math.max(0, Math.min(1, s)) : 0 });
  }
  return out.sort((a, b) => b.score - a.score);
}

/** Best parser by content; among near-ties the one the file name suggests. */
function choose(lines: string[], hints: DumpCommand[], only?: DumpCommand): Scored | undefined {
  let scored = score(lines);
  if (only) scored = scored.filter((s) => s.parser.info.command === only);
  const best = scored[0];
  if (!best || best.score < HINTED_MIN) return undefined;
  for (const h of hints) {
    const hinted = scored.find((s) => s.parser.info.command === h && s.score >= HINTED_MIN && s.score >= best.score - TIE);
    if (hinted) return hinted;
  }
  return best.score >= MIN_CONFIDENCE ? best : undefined;
}

function runParser(parser: DumpParser, lines: string[], firstLine: number): { records: DumpRecord[]; problems: DumpProblem[] } {
  try {
    const r = parser.parse(lines, firstLine);
    return { records: r.records as DumpRecord[], problems: r.problems };
  } catch (e) {
    return { records: [], problems: [{ line: firstLine, message: `internal error in the ${parser.info.command} parser: ${(e as Error)?.message ?? e}` }] };
  }
}

function unknownSection(input: string, line: number, message: string, commandLine?: string, problemLine = line): DumpSection {
  const s: DumpSection = { input, command: 'unknown', line, records: [], problems: [{ line: problemLine, message }] };
  if (commandLine !== undefined) s.commandLine = commandLine;
  return s;
}

/** Parses one input (a file's text or bytes) into sections. Never throws. */
export function parseDump(input: string, text: string | Buffer | Uint8Array): DumpSection[] {
  try {
    return parseDumpUnsafe(input, text);
  } catch (e) {
    return [unknownSection(input, 1, `internal error: ${(e as Error)?.message ?? e}`)];
  }
}

function parseDumpUnsafe(input: string, text: string | Buffer | Uint8Array): DumpSection[] {
  let str: string;
  if (typeof text === 'string') {
    if (text.includes('\u0000')) return [unknownSection(input, 1, 'binary data, not a text dump (NUL bytes)')];
    str = text;
  } else {
    if (looksBinary(text)) {
      const magic = Buffer.from(text.subarray(0, 4)).toString('hex');
      return [unknownSection(input, 1, `binary data, not a text dump (starts with bytes ${magic})`)];
    }
    str = decodeText(text);
  }
  const lines = cleanLines(str);
  const hints = nameHints(input);
  if (lines.every((l) => l.trim() === '')) return [unknownSection(input, 1, 'empty input: no command output found')];

  const sections: DumpSection[] = [];
  for (const part of splitSession(lines)) {
    const body = dedent(part.lines);
    const firstLine = part.start + 1;
    const fnb = firstNonBlank(body);
    const contentLine = fnb < 0 ? firstLine : firstLine + fnb;
    if (part.commandLine !== undefined) {
      const mapping = commandFor(part.commandLine);
      if (mapping && mapping.command === 'unknown') {
        sections.push(
          unknownSection(
            input,
            firstLine,
            `command '${mapping.program}' is not one podpath reads; its output (${body.filter((l) => l.trim() !== '').length} lines) was skipped`,
            part.commandLine,
            part.promptIndex! + 1,
          ),
        );
        continue;
      }
      if (mapping) {
        const section: DumpSection = { input, command: mapping.command, line: firstLine, commandLine: part.commandLine, records: [], problems: [] };
        if (fnb < 0) {
          sections.push(section);
          continue;
        }
        const named = choose(body, [], mapping.command);
        let parser: DumpParser | undefined = named?.parser;
        if (!parser) {
          const other = choose(body, hints);
          if (other && other.score >= 0.5 && other.parser.info.command !== mapping.command) {
            parser = other.parser;
            section.command = parser.info.command;
            section.problems.push({
              line: contentLine,
              message: `the prompt runs '${part.commandLine}' but the output looks like ${COMMAND_NAMES[parser.info.command]} output; parsed as ${parser.info.command}`,
            });
          } else parser = parsers.find((p) => p.info.command === mapping.command)!;
        }
        const r = runParser(parser, body, firstLine);
        section.records = r.records;
        section.problems.push(...r.problems);
        sections.push(section);
        continue;
      }
      // `cat somefile`: the content decides
    }
    if (fnb < 0) continue;
    const chosen = choose(body, hints);
    if (!chosen) {
      const s = unknownSection(
        input,
        contentLine,
        `not recognized as the output of any command podpath reads (first line ${quote(body[fnb])})${
          hints.length ? `; the name suggests ${COMMAND_NAMES[hints[0]]} output, which this is not` : ''
        }`,
      );
      if (part.commandLine !== undefined) s.commandLine = part.commandLine;
      sections.push(s);
      continue;
    }
    // Without a prompt, one text may hold several commands' outputs one after the other.
    const pieces = part.commandLine === undefined ? splitByContent(body, firstLine, chosen.parser, hints) : [{ parser: chosen.parser, lines: body, firstLine }];
    for (const [k, piece] of pieces.entries()) {
      const section: DumpSection = { input, command: piece.parser.info.command, line: piece.firstLine, records: [], problems: [] };
      if (part.commandLine !== undefined) section.commandLine = part.commandLine;
      if (k === 0 && pieces.length === 1 && hints.length && !hints.includes(section.command) && part.commandLine === undefined && chosen.score >= 0.5) {
        section.problems.push({
          line: contentLine,
          message: `the name suggests ${COMMAND_NAMES[hints[0]]} output but the content is ${COMMAND_NAMES[section.command]} output; parsed as ${section.command}`,
        });
      }
      const r = runParser(piece.parser, piece.lines, piece.firstLine);
      section.records = r.records;
      section.problems.push(...r.problems);
      if (piece.unsplit) section.problems.push(piece.unsplit);
      sections.push(section);
    }
  }
  if (sections.length === 0) return [unknownSection(input, 1, 'no command output found')];
  return sections;
}

/** At most this many outputs are told apart in one prompt-less text. */
const MAX_PIECES = 64;

interface Piece {
  parser: DumpParser;
  lines: string[];
  firstLine: number;
  /** Said when lines the parser could not read were not another command's output either. */
  unsplit?: DumpProblem;
}

/**
 * Prompt-less text read by content: where the chosen parser stops understanding the text (its
 * first problem line) and the rest, from there, is clearly another command's output (another
 * parser recognises it, with confidence), the text is cut there; the rest is read the same way.
 * When lines go unread and nothing else recognises them, the piece says it could not be split.
 */
function splitByContent(body: string[], firstLine: number, first: DumpParser, hints: DumpCommand[]): Piece[] {
  const out: Piece[] = [];
  let parser = first;
  let start = 0;
  while (out.length < MAX_PIECES) {
    const lines = body.slice(start);
    const r = runParser(parser, lines, firstLine + start);
    let cut = -1;
    let next: DumpParser | undefined;
    const tried = new Set<number>();
    for (const p of r.problems) {
      const at = p.line - firstLine;
      if (at <= start || at >= body.length || tried.has(at)) continue;
      tried.add(at);
      if (tried.size > 8) break;
      // what starts here: judged on its first lines (the rest may hold more outputs still)
      const other = choose(body.slice(at, at + 8), hints);
      if (!other || other.parser.info.command === parser.info.command || other.score < 0.5) continue;
      // the part before the cut must still read as what it was taken for
      const before = choose(body.slice(start, at), [parser.info.command], parser.info.command);
      if (!before) continue;
      cut = at;
      next = other.parser;
      break;
    }
    if (cut < 0 || !next) {
      const piece: Piece = { parser, lines, firstLine: firstLine + start };
      const lines0 = new Set(r.problems.map((p) => p.line));
      const unread = lines0.size;
      // a block of three or more unread lines in a row: another output, unrecognised, not one odd line
      const inRow = [...lines0].some((l) => lines0.has(l + 1) && lines0.has(l + 2));
      if (unread >= 3 && inRow) {
        piece.unsplit = {
          line: Math.min(...lines0),
          message: `${unread} lines here are not ${COMMAND_NAMES[parser.info.command]} output and no other parser recognises them: if several commands' outputs follow each other, put a prompt line ($ command) before each`,
        };
      }
      out.push(piece);
      return out;
    }
    out.push({ parser, lines: body.slice(start, cut), firstLine: firstLine + start });
    start = cut;
    parser = next;
  }
  out.push({ parser, lines: body.slice(start), firstLine: firstLine + start });
  return out;
}

/** What an input holds, for input discovery: the first recognized command and how sure that is. */
export function detectDump(text: string | Buffer | Uint8Array, input = ''): { command: DumpCommand; confidence: number } {
  try {
    if (typeof text !== 'string' && looksBinary(text)) return { command: 'unknown', confidence: 0 };
    const str = typeof text === 'string' ? text : decodeText(text);
    if (str.includes('\u0000')) return { command: 'unknown', confidence: 0 };
    const lines = cleanLines(str);
    for (const part of splitSession(lines)) {
      const body = dedent(part.lines);
      if (part.commandLine !== undefined) {
        const m = commandFor(part.commandLine);
        if (m && m.command !== 'unknown') return { command: m.command, confidence: 1 };
        if (m) continue;
      }
      const c = choose(body, nameHints(input));
      if (c) return { command: c.parser.info.command, confidence: c.score };
    }
  } catch {
    // never throws
  }
  return { command: 'unknown', confidence: 0 };
}
