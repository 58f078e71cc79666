/**
 * The command line: yargs -> command -> exit code. The only module that touches `process`.
 *
 * Start-up is kept short: `--version` and the top-level `--help` are answered without loading
 * yargs or any command (the help text is the one yargs makes, kept in src/cli-help.ts and checked
 * against yargs by test/cli.test.ts); otherwise only the command that runs is loaded.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Argv } from 'yargs';
import { EXIT, UserError, type Io } from './io.js';
import type { Command } from './commands/command.js';
import { lazyCommands, verbOf } from './commands/lazy.js';
import { HELP } from './cli-help.js';
import { removeLiveTempDirsSync } from './inputs/temp-dirs.js';

/** Exit codes of a run ended by a signal (128 + the signal's number, as shells report it). */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * Ctrl-C, a kill, a Job's timeout: the temp folders this process made (extracted archives,
 * standard input spooled to a file) are removed before it ends, so none is left behind.
 */
function installSignalCleanup(): void {
  for (const sig of Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]) {
    process.on(sig, () => {
      removeLiveTempDirsSync();
      process.stderr.write(`podpath: stopped by ${sig}\n`);
      process.exit(SIGNAL_EXIT[sig]);
    });
  }
  // process.exit() from anywhere (a closed pipe, a fatal error) still removes them.
  process.on('exit', removeLiveTempDirsSync);
}

/** The version in package.json (what yargs' `.version()` would print). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The width yargs wraps help to, for a standard output `columns` wide (undefined: not a terminal). */
export function helpWidth(columns: number | undefined): number {
  return Math.min(110, columns || 100);
}

/** The verbs whose modules a run of `args` needs: the one named, else the default (analyze). */
function needed(args: string[]): Set<string> {
  const verbs = new Set(lazyCommands.map(verbOf));
  const first = args.find((a) => !a.startsWith('-'));
  return new Set([first !== undefined && verbs.has(first) ? first : 'analyze']);
}

/**
 * The yargs parser, with the commands of `args` loaded (the others are listed, not loaded).
 * `onRun` receives each command that runs with its arguments.
 */
export async function parser(args: string[], width: number, onRun: (c: Command, argv: Record<string, unknown>) => Promise<void>): Promise<Argv> {
  const { default: yargs } = await import('yargs');
  const want = needed(args);
  const loaded = new Map<string, Command>();
  await Promise.all(lazyCommands.filter((c) => want.has(verbOf(c))).map(async (c) => loaded.set(verbOf(c), await c.load())));
  const cli = yargs(args)
    .scriptName('podpath')
    .usage('$0 <command> [inputs..]\n\nExplains pod-network packet paths from saved captures and node dumps.')
    .option('debug', { type: 'boolean', describe: 'show stack traces of errors', global: true })
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .wrap(width)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError(msg ?? 'usage error', EXIT.USAGE);
    })
    .help()
    .version(version());
  for (const c of lazyCommands) {
    const verb = verbOf(c);
    cli.command(
      c.command,
      c.describe,
      (y) => loaded.get(verb)?.builder(y) ?? y,
      async (argv) => onRun(loaded.get(verb) ?? (await c.load()), argv),
    );
  }
  return cli;
}

export async function main(args: string[]): Promise<number> {
  installSignalCleanup();
  const io: Io = {
    out: (text) => process.stdout.write(text),
    err: (text) => {
      process.stderr.write(text.endsWith('\n') ? text : text + '\n');
    },
    status: (text) => {
      process.stderr.write(text);
    },
    drain: () => new Promise((resolve) => process.stdout.once('drain', () => resolve())),
    stdin: process.stdin as Readable,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    noColor: Boolean(process.env.NO_COLOR),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
  };
  // A closed pipe (podpath ... | head) ends the run quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });

  // Bare `podpath`: the help, not a usage error.
  if (args.length === 0) args = ['--help'];
  const width = helpWidth(io.columns);
  if (args.length === 1 && args[0] === '--version') {
    io.out(version() + '\n');
    return EXIT.OK;
  }
  if (args.length === 1 && args[0] === '--help' && HELP[width] !== undefined) {
    io.out(HELP[width] + '\n');
    return EXIT.OK;
  }

  const debug = args.includes('--debug');
  // yargs drops a lone "-" (standard input): carry it through as a token and give it back.
  const STDIN = '\u0000stdin';
  args = args.map((a) => (a === '-' ? STDIN : a));
  const restore = (v: unknown): unknown => (v === STDIN ? '-' : Array.isArray(v) ? v.map(restore) : v);
  let exitCode: number = EXIT.OK;
  try {
    const cli = await parser(args, width, async (c, argv) => {
      const restored: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(argv)) restored[k] = restore(v);
      exitCode = await c.run(restored, io);
    });
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof UserError) {
      io.err(`podpath: ${e.message}`);
      if (debug && e.stack) io.err(e.stack);
      return e.exitCode;
    }
    const err = e as Error;
    io.err(`podpath: internal error: ${err?.message ?? String(e)}`);
    io.err(debug ? String(err?.stack) : '(run again with --debug for the stack trace)');
    return 70;
  }
  return exitCode;
}
