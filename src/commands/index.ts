/** Every CLI verb, in the order `--help` lists them. One line per command module. */
import type { Command } from './command.js';
import { analyzeCommand, explainCommand } from './analyze.js';
import { collectCommand } from './collect.js';
import { dumpsCommand } from './dumps.js';
import { inputsCommand } from './inputs.js';
import { packets } from './packets.js';
import { reportCommand } from './report.js';
import { topologyCommand } from './topology.js';

export const commands: Command[] = [analyzeCommand, explainCommand, reportCommand, packets, dumpsCommand, inputsCommand, collectCommand, topologyCommand];
