/**
 * The report renderers behind `podpath analyze --format`: text (default, for terminals),
 * markdown (tickets), html (one self-contained file), json (the contract) and ndjson (streams).
 * docs/report-formats.md.
 */
import type { Report } from '../path/types.js';
import { htmlChunks, renderHtml } from './html.js';
import { jsonChunks, ndjsonChunks, renderJson, renderNdjson } from './json.js';
import { markdownChunks, renderMarkdown } from './markdown.js';
import { renderExplain, renderText, textChunks } from './text.js';
import { joinChunks, writeChunks } from './stream.js';
import type { Io } from '../io.js';

import type { Format, RenderOptions } from './formats.js';

export { FORMATS, loadRenderer, type Format, type RenderOptions } from './formats.js';

/** The whole report as one string: for small reports and tests; commands stream (writeReport). */
export function render(report: Report, format: Format, opts: RenderOptions = {}): string {
  return joinChunks(renderChunks(report, format, opts));
}

/** Writes the report to standard output as it is rendered, chunk by chunk, waiting for drain. */
export function writeReport(io: Pick<Io, 'out' | 'drain'>, report: Report, format: Format, opts: RenderOptions = {}): Promise<void> {
  return writeChunks(io, renderChunks(report, format, opts));
}

/** The report as chunks of about 64 KiB (src/report/stream.ts), made lazily. */
export function renderChunks(report: Report, format: Format, opts: RenderOptions = {}): Iterable<string> {
  switch (format) {
    case 'text':
      return textChunks(report, { columns: opts.columns, color: opts.color, show: opts.show });
    case 'markdown':
      return markdownChunks(report);
    case 'html':
      return htmlChunks(report);
    case 'json':
      return jsonChunks(report);
    case 'ndjson':
      return ndjsonChunks(report);
    default: {
      const never: never = format;
      throw new Error(`unknown report format: ${String(never)}`);
    }
  }
}

export { renderText, renderExplain, renderMarkdown, renderHtml, renderJson, renderNdjson };
export { textChunks, markdownChunks, htmlChunks, jsonChunks, ndjsonChunks };
export { escapeHtml, escapeAttr, escapeMarkdown, markdownCode, mermaidLabel, svgText, terminalText } from './escape.js';
