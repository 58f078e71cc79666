/**
 * The in-process tier: one exec = one mutated capture (pushed through the pcap/pcapng parser whole
 * and in random chunks, every frame decoded, summarized, printed and observed; sometimes read from a
 * temp file, gzipped or not, through readCapture) or one mutated dump (parseDump, then
 * buildTopology). An exec's input is a pure function of (seed, exec number): makeFastInput; running
 * it is runFastInput, which throws on a crash or a broken invariant.
 */
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_RECORD_BYTES, type CaptureHandler, type Frame, type InputProblem } from '../../src/capture/frame.js';
import { readCapture } from '../../src/capture/open.js';
import { isPcapMagic, PcapParser } from '../../src/capture/pcap.js';
import { isPcapngMagic, PcapngParser } from '../../src/capture/pcapng.js';
import { Decoder } from '../../src/decode/decoder.js';
import { summarize } from '../../src/decode/summary.js';
import { parseDump } from '../../src/dumps/index.js';
import { pcapngInterfaceNames } from '../../src/inputs/pcapng-names.js';
import { observe } from './observe-ref.js';
import { packetLine } from '../../src/report/packet-line.js';
import { buildTopology, type HostSection } from '../../src/topology/build.js';
import { execRng, gzipVariant, LINKTYPES, mutateCapture, mutateDump, Rng, type Log } from './mutate.js';
import type { Seeds } from './seeds.js';
import { makeStructured, runStructured, STRUCTURED_KINDS, type StructuredKind } from './structured.js';

/** One exec in this many is a structured input (big in count, not in bytes): few, so the CI run stays short. */
export const STRUCTURED_EVERY = 2500;
/** Execs from which structured inputs may take their full size (past the CI short run's 40,000; `--count 100000` meets them). */
export const FULL_SIZE_FROM = 40_000;

export interface FastInput {
  /** 'structured': an archive or a shard manifest from structured.ts (runStructured). */
  kind: 'capture' | 'dump' | 'structured';
  /** Made by a structured generator (structured.ts), not by mutation. */
  structured?: StructuredKind;
  /** Seed it came from, and a file name for it. */
  seed: string;
  name: string;
  bytes: Uint8Array;
  log: Log;
  /** Seed of the chunk sizes for the chunked parse. */
  chunkSeed: number;
  /** Also read through readCapture from a temp file (bytes gzipped first when gzip is set). */
  viaFile: boolean;
  gzip: boolean;
  fileChunk: number;
  /** Decode every frame again under this link type (-1: no). */
  altLinktype: number;
  vxlanPorts: number[];
  genevePorts: number[];
  /** For dumps: a second dump of the same host (topology joins them). */
  companion?: { name: string; bytes: Uint8Array };
}

/** The deterministic sweep: truncation at every record/block boundary of every capture seed. */
export function sweepList(seeds: Seeds): { seed: number; cut: number }[] {
  const out: { seed: number; cut: number }[] = [];
  seeds.captures.forEach((c, s) => {
    const bs = c.shape.boundaries;
    // every boundary, for big seeds at most 400 of them spread evenly
    const step = Math.max(1, Math.ceil(bs.length / 400));
    for (let k = 0; k < bs.length; k += step) {
      out.push({ seed: s, cut: bs[k] });
      if (bs[k] + 7 < c.buf.length) out.push({ seed: s, cut: bs[k] + 7 });
    }
  });
  return out;
}

export function makeFastInput(seeds: Seeds, sweep: { seed: number; cut: number }[], runSeed: number, i: number): FastInput {
  const r = execRng(runSeed, 0, i);
  const log: Log = [];
  const base = {
    chunkSeed: r.next(),
    viaFile: false,
    gzip: false,
    fileChunk: 0,
    altLinktype: -1,
    vxlanPorts: [] as number[],
    genevePorts: [] as number[],
  };
  // now and then a structured input, the kinds in turn: exec 1249 routes, 3749 flows, ...
  if (i % STRUCTURED_EVERY === STRUCTURED_EVERY / 2 - 1) {
    const kind = STRUCTURED_KINDS[Math.floor(i / STRUCTURED_EVERY) % STRUCTURED_KINDS.length];
    const g = makeStructured(r, kind, log, i >= FULL_SIZE_FROM);
    const as = kind === 'routes' ? 'dump' : kind === 'flows' ? 'capture' : 'structured';
    return { ...base, kind: as, structured: kind, seed: `structured:${kind}`, name: g.name, bytes: g.bytes, log };
  }
  // every 4th exec walks the truncation sweep while it lasts
  if (i % 4 === 0 && i / 4 < sweep.length) {
    const s = sweep[i / 4];
    const c = seeds.captures[s.seed];
    log.push(`sweep truncate ${s.cut}`);
    return { ...base, kind: 'capture', seed: c.name, name: fileName(c.name), bytes: c.buf.subarray(0, s.cut), log, viaFile: r.chance(0.03), fileChunk: s.cut < 512 ? r.pick([1, 7, 64]) : r.pick([61, 4096, 65536]) };
  }
  if (seeds.dumps.length > 0 && r.chance(0.3)) {
    const d = r.pick(seeds.dumps);
    const o = r.pick(seeds.dumps);
    const bytes = mutateDump(r, d.buf, o.buf, log);
    const name = r.chance(0.15) ? r.pick(['route-n.txt', 'bridge-vlan.txt', 'ip-addr.txt', 'pods.txt', 'x.pcap', 'dump']) : d.name;
    const companion = r.chance(0.5) ? { name: o.name, bytes: o.buf } : undefined;
    return { ...base, kind: 'dump', seed: d.name, name, bytes, log, companion };
  }
  const c = r.pick(seeds.captures);
  const o = r.pick(seeds.captures);
  const bytes = mutateCapture(r, c.buf, c.shape, o, log);
  const viaFile = r.chance(0.03);
  return {
    ...base,
    kind: 'capture',
    seed: c.name,
    name: fileName(c.name),
    bytes,
    log,
    viaFile,
    gzip: viaFile && r.chance(0.5),
    fileChunk: bytes.length < 512 ? r.pick([1, 3, 16, 65536]) : r.pick([61, 512, 4096, 65536]),
    altLinktype: r.chance(0.15) ? r.pick(LINKTYPES) : -1,
    vxlanPorts: r.chance(0.1) ? [r.range(1, 65535)] : [],
    genevePorts: r.chance(0.1) ? [r.range(1, 65535)] : [],
  };
}

function fileName(seedName: string): string {
  return seedName.split('/').pop()!.replace(/[^A-Za-z0-9._-]/g, '_');
}

export class InvariantError extends Error {
  override name = 'InvariantError';
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new InvariantError(message);
}

interface ParseResult {
  frames: string[];
  problems: string[];
  packets: number;
}

const VALID_STATUS = new Set(['decoded', 'truncated', 'malformed', 'skipped']);

/** Pushes `bytes` through the parser its magic calls for, in the chunks `sizes` gives. */
function parse(bytes: Uint8Array, sizes: Rng | undefined, onFrame: ((f: Frame) => void) | undefined, pickParser: number): ParseResult {
  const frames: string[] = [];
  const problems: string[] = [];
  const handler: CaptureHandler = {
    frame(f) {
      check(f.bytes.length <= MAX_RECORD_BYTES, `frame ${f.index}: ${f.bytes.length} bytes, over the record limit`);
      check(f.index === frames.length + 1, `frame numbers not consecutive: ${f.index} after ${frames.length}`);
      check(f.offset >= 0 && f.offset < Math.max(1, bytes.length), `frame ${f.index}: offset ${f.offset} outside the input (${bytes.length})`);
      check(f.nsec >= 0 && Number.isFinite(f.sec), `frame ${f.index}: bad time ${f.sec}.${f.nsec}`);
      frames.push(`${f.index}@${f.offset}:${f.bytes.length}/${f.wireLength}/${f.linktype}/${f.sec}.${f.nsec}/${f.cutByEof}/${f.point.interface ?? ''}:${sum(f.bytes)}`);
      onFrame?.(f);
    },
    problem(p: InputProblem) {
      problems.push(`${p.severity}|${p.packet ?? ''}|${p.offset ?? ''}|${p.message}`);
    },
  };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ng = isPcapngMagic(bytes) || (!isPcapMagic(bytes) && pickParser === 1);
  const parser = ng ? new PcapngParser('fuzz', handler) : new PcapParser('fuzz', handler);
  if (!sizes) parser.push(buf);
  else {
    let at = 0;
    while (at < buf.length && !parser.aborted) {
      const n = Math.min(buf.length - at, sizes.pick([1, 2, 3, 4, 5, 8, 12, 16, 17, 31, 64, 100, 1000, 4096, 65536]));
      parser.push(buf.subarray(at, at + n));
      at += n;
    }
  }
  if (!parser.aborted) parser.end();
  check(parser.packets === frames.length, `parser counts ${parser.packets} packets, delivered ${frames.length}`);
  return { frames, problems, packets: parser.packets };
}

function sum(b: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < b.length; i++) h = (Math.imul(h, 31) + b[i]) | 0;
  return h;
}

function checkPacket(d: Decoder, f: Frame, ci: number): void {
  const p = d.decode(f);
  check(p.captureLength === f.bytes.length, `packet ${f.index}: captureLength ${p.captureLength} != ${f.bytes.length} bytes`);
  check(VALID_STATUS.has(p.status), `packet ${f.index}: status ${p.status}`);
  for (let k = 0; k < p.layerCount; k++) check(p.layerOffset[k] <= p.captureLength, `packet ${f.index}: layer ${k} at ${p.layerOffset[k]} beyond ${p.captureLength}`);
  check(p.payloadOffset <= p.payloadEnd || p.payloadEnd === 0, `packet ${f.index}: payload ${p.payloadOffset}..${p.payloadEnd}`);
  check(p.payloadEnd <= p.captureLength, `packet ${f.index}: payload end ${p.payloadEnd} beyond ${p.captureLength}`);
  if (p.malformed) check(p.problems.length > 0, `packet ${f.index}: malformed without a problem`);
  // the text forms of every odd packet, of the first ones and of every 8th (speed: most are intact)
  if (p.status === 'decoded' && f.index > 64 && f.index % 8 !== 0) return;
  const s = summarize(p);
  JSON.stringify(s);
  check(typeof packetLine(p) === 'string', 'packetLine');
  const o = observe(p, ci, 0);
  if (o) JSON.stringify(o);
}

/** Runs one input through the in-process pipeline; throws on a crash or a broken invariant. */
export async function runFastInput(input: FastInput, tmp: string): Promise<void> {
  if (input.kind === 'dump') return runDump(input);
  if (input.kind === 'structured') return runStructured({ structured: input.structured!, name: input.name, bytes: input.bytes }, tmp, check);
  const d = new Decoder({ vxlanPorts: input.vxlanPorts, genevePorts: input.genevePorts });
  const alt = input.altLinktype >= 0 ? new Decoder() : undefined;
  const pickParser = input.chunkSeed & 1;
  const whole = parse(
    input.bytes,
    undefined,
    (f) => {
      checkPacket(d, f, 0);
      if (alt) checkPacket(alt, { ...f, linktype: input.altLinktype }, 1);
    },
    pickParser,
  );
  const chunked = parse(input.bytes, new Rng(input.chunkSeed), undefined, pickParser);
  check(chunked.frames.length === whole.frames.length, `chunked read gave ${chunked.frames.length} frames, whole read ${whole.frames.length}`);
  for (let k = 0; k < whole.frames.length; k++) check(chunked.frames[k] === whole.frames[k], `chunked read differs at frame ${k + 1}: ${chunked.frames[k]} vs ${whole.frames[k]}`);
  check(chunked.problems.join('\n') === whole.problems.join('\n'), `chunked read problems differ:\n${chunked.problems.join('\n')}\nvs\n${whole.problems.join('\n')}`);
  pcapngInterfaceNames(input.bytes);
  if (input.viaFile) {
    const bytes = input.gzip ? gzipVariant(new Rng(input.chunkSeed), input.bytes, []) : input.bytes;
    const path = join(tmp, input.name + (input.gzip ? '.gz' : ''));
    await writeFile(path, bytes);
    let n = 0;
    const problems: string[] = [];
    const s = await readCapture(path, { frame: (f) => { n++; checkPacket(d, f, 0); }, problem: (p) => problems.push(p.message) }, { chunkSize: input.fileChunk, maxDecompressedBytes: 64 * 1024 * 1024 });
    check(s.packets === n, `readCapture summary says ${s.packets} packets, delivered ${n}`);
    if (!input.gzip) check(n === whole.packets, `readCapture read ${n} packets, the parser ${whole.packets}`);
    await rm(path, { force: true });
  }
}

function runDump(input: FastInput): void {
  const sections: HostSection[] = [];
  const lines = new Map<string, string[]>();
  const files = [{ name: input.name, bytes: input.bytes }, ...(input.companion ? [input.companion] : [])];
  for (const f of files) {
    const text = Buffer.from(f.bytes).toString('utf8');
    const n = text.split(/\r?\n/).length;
    lines.set(f.name, text.split(/\r?\n/));
    const secs = parseDump(f.name, f.bytes);
    check(Array.isArray(secs) && secs.length > 0, 'parseDump returned no section');
    for (const s of secs) {
      check(s.line >= 1 && s.line <= n + 1, `section line ${s.line} outside 1..${n + 1}`);
      for (const p of s.problems) check(p.line >= 1 && p.line <= n + 1, `problem line ${p.line} outside 1..${n + 1}: ${p.message}`);
      for (const rec of s.records as { line?: number }[]) {
        if (typeof rec.line === 'number') check(rec.line >= 1 && rec.line <= n + 1, `${s.command} record line ${rec.line} outside 1..${n + 1}`);
      }
      sections.push({ host: f.name === 'pods.txt' ? undefined : 'node-a', section: s });
    }
  }
  const topo = buildTopology(sections, [], { lineText: (inp, l) => lines.get(inp)?.[l - 1] });
  JSON.stringify(topo);
}
