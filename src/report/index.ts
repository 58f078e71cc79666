/**
 * The report renderers behind `podpath analyze --format`: text (default, for terminals),
 * markdown (tickets), html (one self-contained file), json (the contract) and ndjson (streams).
 * docs/report-formats.md.
 */
import type { Report } from '../path/types.js';
import { renderHtml } from './html.js';
import { renderJson, renderNdjson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderExplain, renderText, type Section } from './text.js';

export const FORMATS = ['text', 'markdown', 'html', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  /** Terminal width for the text format. */
  columns?: number;
  /** Text format: ANSI colour. */
  color?: boolean;
  /** Text format: the sections shown beyond the answer (inputs, topology, flows). */
  show?: readonly Section[];
}

export function render(report: Report, format: Format, opts: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(report, { columns: opts.columns, color: opts.color, show: opts.show });
    case 'markdown':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'json':
      return renderJson(report);
    case 'ndjson':
      return renderNdjson(report);
    default: {
      const never: never = format;
      throw new Error(`unknown report format: ${String(never)}`);
    }
  }
}

export { renderText, renderExplain, renderMarkdown, renderHtml, renderJson, renderNdjson };
export { escapeHtml, escapeAttr, escapeMarkdown, markdownCode, mermaidLabel, svgText, terminalText } from './escape.js';
