/**
 * Array helpers that never spread an array into a call's arguments: `out.push(...list)` and
 * `Math.max(...list)` put every element on the stack and throw "Maximum call stack size
 * exceeded" past about 120,000 elements (many flows, many routes). docs/robustness.md.
 */

/** Appends every item of `items` to `out` (in order); returns `out`. */
export function pushAll<T>(out: T[], items: Iterable<T>): T[] {
  for (const x of items) out.push(x);
  return out;
}

/** The largest of `values`, or `init` when there is none larger (default -Infinity). */
export function maxOf(values: Iterable<number>, init = -Infinity): number {
  let m = init;
  for (const v of values) if (v > m || Number.isNaN(v)) m = v;
  return m;
}

/** The smallest of `values`, or `init` when there is none smaller (default Infinity). */
export function minOf(values: Iterable<number>, init = Infinity): number {
  let m = init;
  for (const v of values) if (v < m || Number.isNaN(v)) m = v;
  return m;
}
