/** `--host NAME=PATH`, shared by analyze, explain and topology (a module of its own: analyze loads no topology renderer). */
import { EXIT, UserError } from '../io.js';

/** `--host NAME=PATH` values -> { NAME: PATH }. */
export function parseHostOptions(values: unknown): Record<string, string> {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  const out: Record<string, string> = {};
  for (const v of list.map(String)) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UserError(`--host takes NAME=PATH, not ${JSON.stringify(v)}`, EXIT.USAGE);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** The inputs and `--host` options of an incident command; a usage error when both are empty. */
export function incidentArgs(argv: Record<string, unknown>): { paths: string[]; hosts: Record<string, string> } {
  const paths = ((argv.paths as unknown[] | undefined) ?? []).map(String);
  const hosts = parseHostOptions(argv.host);
  if (paths.length === 0 && Object.keys(hosts).length === 0) throw new UserError('name an incident folder, host folders or files', EXIT.USAGE);
  return { paths, hosts };
}
