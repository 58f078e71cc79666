/**
 * Incident slugs: the folder of an incident's reports under --out. Derived from the incident's
 * name (its last path component, without .tar.gz/.tgz), every character outside [A-Za-z0-9._-]
 * replaced by "-", no leading dots or dashes, at most 64 characters, "incident" when nothing is
 * left. Collisions (compared case-insensitively, for macOS and Windows file systems) and the
 * names of the index and manifest files get -2, -3, ... in the order of the sorted incident list,
 * so every shard of a batch computes the same slugs.
 */
import { basename, resolve, sep } from 'node:path';

const MAX = 64;

/** The slug of one name, before collisions. */
export function sanitizeSlug(name: string): string {
  let s = name.replace(/\.(tar\.gz|tgz)$/i, '');
  s = s.replace(/[^A-Za-z0-9._-]+/g, '-');
  s = s.replace(/-{2,}/g, '-');
  s = s.replace(/^[.-]+/, '');
  s = s.slice(0, MAX).replace(/[.-]+$/, '');
  return s === '' ? 'incident' : s;
}

/** A slug as --out and manifests may hold it: one safe path component. */
export function isSafeSlug(s: unknown): s is string {
  return typeof s === 'string' && s.length <= MAX + 8 && /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s) && !isReserved(s);
}

/** Files podpath writes at the top of --out: no incident folder may take their names. */
function isReserved(s: string): boolean {
  return /^(index\.(md|html)|shard-\d+-of-\d+\.json)$/i.test(s);
}

/** Slugs for incident paths (absolute), in the order given. */
export function assignSlugs(paths: string[]): string[] {
  const taken = new Set<string>();
  return paths.map((p) => {
    const base = sanitizeSlug(basename(resolve(p)));
    let slug = base;
    for (let n = 2; taken.has(slug.toLowerCase()) || isReserved(slug); n++) slug = `${base}-${n}`;
    taken.add(slug.toLowerCase());
    return slug;
  });
}

/** `<out>/<slug>`, refusing anything that is not a direct child of out. */
export function slugDir(out: string, slug: string): string {
  if (!isSafeSlug(slug)) throw new Error(`unsafe incident folder name ${JSON.stringify(slug)}`);
  const root = resolve(out);
  const dir = resolve(root, slug);
  if (!dir.startsWith(root.endsWith(sep) ? root : root + sep) || dir.slice(root.length + 1).includes(sep)) {
    throw new Error(`incident folder ${JSON.stringify(slug)} is not inside ${root}`);
  }
  return dir;
}
