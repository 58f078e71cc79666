/** Every CLI verb, in the order `--help` lists them. One line per command module. */
import type { Command } from './command.js';
import { collectCommand } from './collect.js';
import { dumpsCommand } from './dumps.js';
import { packets } from './packets.js';
import { topologyCommand } from './topology.js';

export const commands: Command[] = [packets, dumpsCommand, collectCommand, topologyCommand];
