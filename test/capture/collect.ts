/** Shared by the capture tests: read a capture into plain objects, list corpus captures. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, InputProblem, CaptureSummary } from '../../src/capture/frame.js';
import { readCapture, type ReadCaptureOptions } from '../../src/capture/open.js';

export interface Got {
  index: number;
  offset: number;
  sec: number;
  nsec: number;
  linktype: number;
  wireLength: number;
  bytes: Buffer;
  cut: boolean;
  iface: string | undefined;
}

/** Copies a frame (the reader reuses the Frame object and its bytes are a view). */
export function copyFrame(f: Frame): Got {
  return {
    index: f.index,
    offset: f.offset,
    sec: f.sec,
    nsec: f.nsec,
    linktype: f.linktype,
    wireLength: f.wireLength,
    bytes: Buffer.from(f.bytes),
    cut: f.cutByEof,
    iface: f.point.interface,
  };
}

export async function collect(
  path: string,
  opts?: ReadCaptureOptions,
): Promise<{ frames: Got[]; problems: InputProblem[]; summary: CaptureSummary }> {
  const frames: Got[] = [];
  const problems: InputProblem[] = [];
  const summary = await readCapture(path, { frame: (f) => frames.push(copyFrame(f)), problem: (p) => problems.push(p) }, opts);
  return { frames, problems, summary };
}

/** The .pcap and .pcapng files of a folder (not recursive), sorted. */
export function capturesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(pcap|pcapng)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}
