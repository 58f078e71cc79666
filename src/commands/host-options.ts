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
