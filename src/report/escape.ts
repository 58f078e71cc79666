/**
 * Escaping for every output context of the reports. Everything that comes from the inputs (host,
 * interface and pod names, file paths, packet summaries, dump lines, finding messages) goes
 * through one of these before it is written; the renderers never concatenate raw input into
 * markup. docs/report-formats.md "Escaping".
 */
import { maxOf } from '../arrays.js';

/** C0/C1 control characters except tab and newline, DEL, and lone surrogates. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces control characters (and lone surrogates) by U+FFFD; keeps tab and newline. */
export function stripControl(s: string): string {
  return s.replace(CONTROL, '\uFFFD');
}

const HTML: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * HTML text and (quoted) attribute values: `& < > " ' \`` become character references, control
 * characters become U+FFFD. Safe in element content and in attribute values quoted with `"` or
 * `'`; never use it for unquoted attributes, URLs, `<script>` or `<style>` content.
 */
export function escapeHtml(value: unknown): string {
  return stripControl(String(value ?? '')).replace(/[&<>"'`]/g, (c) => HTML[c]);
}

/** Same as escapeHtml; named for attribute contexts (the value must be written inside quotes). */
export const escapeAttr = escapeHtml;

/**
 * Text inside inline SVG (which the HTML parser reads as foreign content): XML escaping, with
 * newlines and tabs folded to spaces (SVG text does not wrap).
 */
export function svgText(value: unknown): string {
  return escapeHtml(String(value ?? '').replace(/[\r\n\t]+/g, ' '));
}

/**
 * Markdown (GitHub/GitLab flavoured). `cell`: for table cells — pipes, backslashes, backticks,
 * emphasis and link characters are backslash-escaped, `<`, `>` and `&` become character
 * references, newlines become `<br>`. `inline`: for running text — the same, but newlines become
 * spaces. Output never opens a code span, an HTML tag, a link or a table cell of its own.
 */
export function escapeMarkdown(value: unknown, context: 'cell' | 'inline' = 'inline'): string {
  let s = stripControl(String(value ?? '')).replace(/\t/g, ' ');
  s = s.replace(/[\\`*_[\]|~#!]/g, (c) => '\\' + c);
  s = s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  // `>` only means something at the start of a line (a block quote); so do `-`, `+`, `1.`.
  s = s.replace(/(^|\r\n?|\n)([ ]*)(?:([>+=-])|(\d+)([.)]))/g, (_m, nl: string, sp: string, c?: string, d?: string, p?: string) =>
    c !== undefined ? `${nl}${sp}\\${c}` : `${nl}${sp}${d}\\${p}`,
  );
  s = s.replace(/\r\n?|\n/g, context === 'cell' ? '<br>' : ' ');
  return s;
}

/**
 * A Markdown code span holding `value` literally (paths, packet summaries). In a table cell
 * (`cell` true) pipes are escaped as GFM requires even inside code spans; newlines become spaces.
 */
export function markdownCode(value: unknown, cell = false): string {
  let s = stripControl(String(value ?? '')).replace(/[\r\n\t]+/g, ' ');
  if (cell) s = s.replace(/\|/g, '\\|');
  const runs = s.match(/`+/g) ?? [];
  const fence = '`'.repeat(maxOf(runs.map((r) => r.length), 0) + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || s.startsWith(' ') || s === '' ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/**
 * A Mermaid node or edge label, to be written between double quotes (`n1["..."]`,
 * `-->|"..."|`). Every character Mermaid or Markdown would read as syntax becomes a Mermaid
 * entity code (`#34;` for `"`, `#35;` for `#`, `#60;` for `<`, ...), newlines become spaces.
 * Node identifiers are never built from input: the renderers number them.
 */
export function mermaidLabel(value: unknown): string {
  const s = stripControl(String(value ?? '')).replace(/[\r\n\t]+/g, ' ').replace(/\uFFFD/g, '?');
  return s.replace(/[#"'`<>[\](){}|&;\\]/g, (c) => `#${c.charCodeAt(0)};`);
}

/**
 * Text for a terminal: ANSI escape sequences and control characters are removed (a crafted host
 * name must not move the cursor or recolour the screen), tabs become spaces.
 */
export function terminalText(value: unknown): string {
  return String(value ?? '')
    .replace(/\u001B\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\t/g, ' ')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '?')
    .replace(/\uFFFD/g, '?');
}
