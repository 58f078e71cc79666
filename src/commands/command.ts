/** The shape every CLI verb has: yargs options in `builder`, the work in `run`. */
import type { Argv } from 'yargs';
import type { Io } from '../io.js';

export interface Command {
  /** yargs command string, e.g. "packets <inputs..>". */
  command: string | string[];
  describe: string;
  builder(y: Argv): Argv;
  /** Does the work and returns the exit code. Never touches `process`. */
  run(argv: Record<string, unknown>, io: Io): Promise<number>;
}
