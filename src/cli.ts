/**
 * The command line: yargs -> command -> exit code. The only module that touches `process`.
 */
import yargs from 'yargs';
import type { Readable } from 'node:stream';
import { EXIT, UserError, type Io } from './io.js';
import type { Command } from './commands/command.js';
import { commands } from './commands/index.js';

export async function main(args: string[]): Promise<number> {
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
  const debug = args.includes('--debug');
  // yargs drops a lone "-" (standard input): carry it through as a token and give it back.
  const STDIN = '\u0000stdin';
  args = args.map((a) => (a === '-' ? STDIN : a));
  const restore = (v: unknown): unknown => (v === STDIN ? '-' : Array.isArray(v) ? v.map(restore) : v);
  let exitCode: number = EXIT.OK;
  const cli = yargs(args)
    .scriptName('podpath')
    .usage('$0 <command> [inputs..]\n\nExplains pod-network packet paths from saved captures and node dumps.')
    .option('debug', { type: 'boolean', describe: 'show stack traces of errors', global: true })
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError(msg ?? 'usage error', EXIT.USAGE);
    })
    .help()
    .version();
  for (const c of commands as Command[]) {
    cli.command(
      c.command,
      c.describe,
      (y) => c.builder(y),
      async (argv) => {
        const restored: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(argv)) restored[k] = restore(v);
        exitCode = await c.run(restored, io);
      },
    );
  }
  try {
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
