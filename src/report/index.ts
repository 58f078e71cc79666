/**
 * The report renderers behind `podpath analyze --format`: text (default, for terminals),
 * markdown (tickets), html (one self-contained file), json (the contract) and ndjson (streams).
 * docs/report-formats.md.
 */
import type { Report } from '../path/types.js';
import { renderHtml } from './html.js';
import { renderJson, renderNdjson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderExplain, renderText } from './text.js';

import type { Format, RenderOptions } from './formats.js';

export { FORMATS, loadRenderer, type Format, type RenderOptions } from './formats.js';

export function render(report: Report, format: Format, opts: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(report, { columns: opts.columns });
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
