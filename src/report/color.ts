/**
 * ANSI colour for the terminal view. Applied to lines after they are wrapped (escape sequences
 * take no columns), and only when asked: on a terminal, without NO_COLOR, not --color never.
 */
import type { Severity } from '../topology/model.js';

export interface Palette {
  on: boolean;
  bold(s: string): string;
  dim(s: string): string;
  severity(sev: Severity, s: string): string;
  verdict(v: string, s: string): string;
}

const sgr = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
const id = (s: string) => s;

export function palette(on: boolean): Palette {
  if (!on) return { on, bold: id, dim: id, severity: (_v, s) => s, verdict: (_v, s) => s };
  const red = sgr('1;31');
  const yellow = sgr('33');
  const green = sgr('32');
  const cyan = sgr('36');
  return {
    on,
    bold: sgr('1'),
    dim: sgr('2'),
    severity: (sev, s) => (sev === 'critical' || sev === 'error' ? red(s) : sev === 'warning' ? yellow(s) : cyan(s)),
    verdict: (v, s) => (v === 'ok' ? green(s) : v === 'lost' ? red(s) : yellow(s)),
  };
}

/** Colour decision: --color always|never|auto, NO_COLOR (any non-empty value), stdout a terminal. */
export function wantColor(choice: unknown, stdoutIsTTY: boolean | undefined, noColor: boolean | undefined): boolean {
  if (choice === 'always') return true;
  if (choice === 'never') return false;
  return Boolean(stdoutIsTTY) && !noColor;
}
