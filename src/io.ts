/**
 * The seam between the core and the process: commands receive an Io and return an exit code.
 * Only src/cli.ts builds a real Io from `process`; tests build one that collects output.
 */
import type { Readable } from 'node:stream';

export interface Io {
  /** Writes to standard output. Returns false when the caller should wait for `drain()`. */
  out(text: string): boolean;
  /** Writes one or more lines to standard error (messages, problems, progress). */
  err(text: string): void;
  /** Writes to standard error as is (no newline added): progress bars redrawn with \r. */
  status?(text: string): void;
  /** Resolves when standard output can take more. */
  drain(): Promise<void>;
  /** Standard input, for inputs named "-". */
  stdin?: Readable;
  /** Terminal width of standard output, when it is a terminal. */
  columns?: number;
  /** Standard output is a terminal (colour by default only then). */
  stdoutIsTTY?: boolean;
  /** NO_COLOR is set in the environment (https://no-color.org). */
  noColor?: boolean;
  /** Standard error is a terminal (progress bars go there only then). */
  stderrIsTTY?: boolean;
  /** Current working directory for relative inputs. */
  cwd: string;
}

/** Documented exit codes (README "Exit codes"). */
export const EXIT = {
  /** Analysis done. */
  OK: 0,
  /** Analysis done, and a finding at or above --fail-on was reported. */
  FINDING: 1,
  /** Usage error: bad options or arguments. */
  USAGE: 2,
  /** No input could be read. */
  NO_INPUT: 3,
} as const;

/** An error that is the user's: printed as one line, no stack trace (unless --debug). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** An Io that collects everything, for tests and library use. */
export function memoryIo(cwd = '.'): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    cwd,
    out(text) {
      stdout.push(text);
      return true;
    },
    err(text) {
      stderr.push(text);
    },
    drain: () => Promise.resolve(),
  };
}

/**
 * A problem as exactly one stderr line: control characters from file names or contents (a newline
 * in a name, a terminal escape in a dump) are shown escaped, never written.
 */
export function stderrLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A problem in parts: the input as the user named it, and where in it (dump line, packet, offset). */
export interface ProblemParts {
  input: string;
  message: string;
  severity?: 'error' | 'warning';
  /** 1-based line of a dump. */
  line?: number;
  /** 1-based packet number of a capture. */
  packet?: number;
  /** Byte offset in the file (in the compressed file for gzip problems). */
  offset?: number;
}

/**
 * The one problem format, without the `podpath: ` prefix (the form kept in reports):
 * `FILE:LINE: MESSAGE` or `FILE: packet N, byte offset B: warning: MESSAGE`, on one line.
 */
export function problemText(p: string | ProblemParts): string {
  if (typeof p === 'string') return stderrLine(p);
  let where = p.input;
  if (p.line !== undefined) where += `:${p.line}`;
  if (p.packet !== undefined) where += `: packet ${p.packet}`;
  if (p.offset !== undefined) where += `${p.packet !== undefined ? ',' : ':'} byte offset ${p.offset}`;
  return stderrLine(`${where}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
}

/**
 * A problem as its stderr line: `podpath: ` then problemText. Every command prints its problem
 * lines through this (docs/robustness.md "Exit codes" has the contract).
 */
export function problemLine(p: string | ProblemParts): string {
  return `podpath: ${problemText(p)}`;
}
