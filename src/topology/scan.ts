/**
 * Streams one capture and collects its CaptureFacts (tunnel tuples, addresses, ARP, SLL2 indexes,
 * pcapng interface names): what `podpath topology --scan` uses to bind captures by content and to
 * fill overlay VNI/port and VTEPs from outer headers. Memory stays bounded (facts.ts limits).
 */
import { readCapture } from '../capture/open.js';
import type { InputProblem } from '../capture/frame.js';
import { Decoder } from '../decode/decoder.js';
import { summarize } from '../decode/summary.js';
import { addMac, addPacket, MAX_ADDRESSES, newCaptureFacts, type CaptureFacts } from './facts.js';

export async function scanCapture(
  path: string,
  opts: { input?: string; host?: string; vxlanPorts?: number[]; genevePorts?: number[] } = {},
): Promise<{ facts: CaptureFacts; problems: InputProblem[] }> {
  const input = opts.input ?? path;
  const facts = newCaptureFacts(input, opts.host);
  const problems: InputProblem[] = [];
  const macTold = new Set<string>();
  const decoder = new Decoder({ vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts });
  const summary = await readCapture(path, {
    frame(f) {
      const p = decoder.decode(f);
      p.input = input;
      const sum = summarize(p);
      addPacket(facts, sum, f.linktype);
      const src = sum.inner?.src;
      if (p.tunnelCount === 0 && p.macSrc >= 0 && src !== undefined && !macTold.has(src) && macTold.size < MAX_ADDRESSES) {
        macTold.add(src);
        addMac(facts, src, p.macSrc);
      }
    },
    problem(p) {
      if (problems.length < 20) problems.push({ ...p, input });
    },
  });
  facts.ifNames = summary.format === 'pcapng' ? summary.interfaces.map((i) => i.name ?? '') : [];
  return { facts, problems };
}
