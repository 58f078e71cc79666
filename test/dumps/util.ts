/** Helpers of the dump tests (not a test file itself). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeVlanRecord, DumpSection } from '../../src/dumps/types.js';

/** Every file under `dir`, recursively, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** The VIDs of a bridge-vlan record, ranges expanded. */
export function vids(r: BridgeVlanRecord | undefined): number[] {
  const out: number[] = [];
  for (const v of r?.vlans ?? []) for (let i = v.vlan; i <= (v.vlanEnd ?? v.vlan); i++) out.push(i);
  return out;
}

/** Drops `line` fields everywhere (to compare records of differently laid out inputs). */
export function withoutLines<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === 'line' ? undefined : x)));
}

/** A one-line description of sections, for assertion messages. */
export function describe(sections: DumpSection[]): string {
  return sections
    .map((s) => `${s.command}@${s.line}[${s.records.length}]${s.problems.map((p) => ` !${p.line}:${p.message}`).join('')}`)
    .join(' | ');
}

/** The fenced code blocks of a markdown text, with the 1-based line of their first content line. */
export function fencedBlocks(markdown: string): { line: number; text: string }[] {
  const lines = markdown.split('\n');
  const blocks: { line: number; text: string }[] = [];
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*```/.test(lines[i])) {
      if (start < 0) start = i + 1;
      else {
        blocks.push({ line: start + 1, text: lines.slice(start, i).join('\n') + '\n' });
        start = -1;
      }
    }
  }
  return blocks;
}
