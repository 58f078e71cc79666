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
    const section: DumpSection = { input, command: chosen.parser.info.command, line: firstLine, records: [], problems: [] };
    if (part.commandLine !== undefined) section.commandLine = part.commandLine;
    if (hints.length && !hints.includes(section.command) && part.commandLine === undefined && chosen.score >= 0.5) {
      section.problems.push({
        line: contentLine,
        message: `the name suggests ${COMMAND_NAMES[hints[0]]} output but the content is ${COMMAND_NAMES[section.command]} output; parsed as ${section.command}`,
      });
    }
    const r = runParser(chosen.parser, body, firstLine);
    section.records = r.records;
    section.problems.push(...r.problems);
    sections.push(section);
  }
  if (sections.length === 0) return [unknownSection(input, 1, 'no command output found')];
  return sections;
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
