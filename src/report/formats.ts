/**
 * The report formats, and their renderers loaded on demand: `--format json` never loads the
 * terminal table renderer (src/report/text.ts and its `table` dependency), html never loads
 * markdown, and so on. src/report/index.ts is the eager, synchronous `render()`.
 */
import type { Report } from '../path/types.js';

export const FORMATS = ['text', 'markdown', 'html', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

/** Sections of the text view beyond the answer (`--show`, `--verbose`). */
export const SECTIONS = ['inputs', 'topology', 'flows'] as const;
export type Section = (typeof SECTIONS)[number];

export interface RenderOptions {
  /** Terminal width for the text format. */
  columns?: number;
  /** Text format: ANSI colour. */
  color?: boolean;
  /** Text format: the sections shown beyond the answer (inputs, topology, flows). */
  show?: readonly Section[];
}

export type Renderer = (report: Report, opts?: RenderOptions) => string;

/** The renderer of one format, loading only its module. */
export async function loadRenderer(format: Format): Promise<Renderer> {
  switch (format) {
    case 'text': {
      const { renderText } = await import('./text.js');
      return (r, o = {}) => renderText(r, { columns: o.columns, color: o.color, show: o.show });
    }
    case 'markdown':
      return (await import('./markdown.js')).renderMarkdown;
    case 'html':
      return (await import('./html.js')).renderHtml;
    case 'json':
      return (await import('./json.js')).renderJson;
    case 'ndjson':
      return (await import('./json.js')).renderNdjson;
    default: {
      const never: never = format;
      throw new Error(`unknown report format: ${String(never)}`);
    }
  }
}

export type ChunkRenderer = (report: Report, opts?: RenderOptions) => Iterable<string>;

/** The streamed renderer (chunks of about 64 KiB, src/report/stream.ts) of one format, loading only its module. */
export async function loadChunks(format: Format): Promise<ChunkRenderer> {
  switch (format) {
    case 'text': {
      const { textChunks } = await import('./text.js');
      return (r, o = {}) => textChunks(r, { columns: o.columns, color: o.color, show: o.show });
    }
    case 'markdown':
      return (await import('./markdown.js')).markdownChunks;
    case 'html':
      return (await import('./html.js')).htmlChunks;
    case 'json':
      return (await import('./json.js')).jsonChunks;
    case 'ndjson':
      return (await import('./json.js')).ndjsonChunks;
    default: {
      const never: never = format;
      throw new Error(`unknown report format: ${String(never)}`);
    }
  }
}
