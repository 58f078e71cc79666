/**
 * Why an input is tied to its host and interface, in words: for the inventory of `analyze` and
 * for `podpath inputs`. Discovery says how it chose the host (InputFile.hostFrom, hostNote); for
 * a capture, binding may name the host from the content when discovery could not, and always
 * says how it chose the interface (CaptureBinding.via, note).
 */
import type { InputFile } from './discover.js';
import type { CaptureBinding } from '../topology/model.js';

export interface InputReasons {
  /** option | folder | hostname-dump | file-prefix | prompt | content | root. */
  hostFrom: string;
  hostNote: string;
  interfaceFrom?: string;
  interfaceNote?: string;
}

export function inputReasons(f: InputFile, binding?: CaptureBinding): InputReasons {
  let hostFrom: string = f.hostFrom;
  let hostNote: string;
  switch (f.hostFrom) {
    case 'folder':
      hostNote = `folder ${f.host}`;
      break;
    case 'root':
      hostNote = 'no host in its folder, name or content: applies to all hosts';
      break;
    default:
      hostNote = f.hostNote ?? f.hostFrom;
  }
  if (binding?.host && binding.host !== f.host) {
    hostFrom = 'content';
    hostNote = binding.note ? `from the packets: ${binding.note}` : 'from the packets';
  }
  const out: InputReasons = { hostFrom, hostNote };
  if (binding) {
    out.interfaceFrom = binding.via;
    out.interfaceNote = interfaceNote(binding, f);
  }
  return out;
}

function interfaceNote(b: CaptureBinding, f: InputFile): string {
  switch (b.via) {
    case 'pcapng':
      return `pcapng interface name ${b.interface}`;
    case 'sll2-ifindex':
      return b.interface === 'any' ? 'SLL2 packets of several interfaces (tcpdump -i any)' : `SLL2 interface index of ${b.interface} in ip addr`;
    case 'file-name':
      return `the file name ${f.nameRest ?? f.path.replace(/^.*[/\\]/, '')} names ${b.interface}`;
    case 'content':
      return b.note ?? 'from the packets';
    case 'option':
      return b.note ?? 'named by an option';
    default:
      return b.note ?? 'unknown';
  }
}
