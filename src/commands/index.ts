/** Every CLI verb, in the order `--help` lists them. One line per command module. */
import type { Command } from './command.js';

export const commands: Command[] = [];
