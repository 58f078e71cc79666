/**
 * Addresses interned as small numbers: the flow table keys flows and journeys by these ids and
 * builds an address's text once.
 */
import { NET_ARP, NET_IPV6, type NetHeader } from '../decode/packet.js';
import { netAddr } from '../decode/summary.js';
/**
 * Address text interned per address: an IPv4 address (a uint32) or an IPv6 address (four words)
 * gets a small id and its text is built once, so the per-packet path compares numbers, never
 * builds strings. Id 0 is the empty address (ARP with unusual address lengths), as `netAddr` says.
 * Distinct ids are distinct texts (the text of an address is unique, IPv4 never looks like IPv6).
 */
export class AddressBook {
  /** Id -> text. */
  readonly text: string[] = [''];
  private readonly v4 = new Map<number, number>();
  /** IPv6: hash of the four words -> first id with that hash; chains in next6, words in w6. */
  private readonly v6 = new Map<number, number>();
  private readonly next6: number[] = [0];
  private readonly w6: number[] = [0, 0, 0, 0];

  /** Id of the source (or destination) address of `n`, as `netAddr(n, src)` would print it. */
  id(n: NetHeader, src: boolean): number {
    const a = src ? n.src : n.dst;
    if (n.addrLength === 4) {
      const v = a[0];
      let id = this.v4.get(v);
      if (id === undefined) {
        id = this.text.length;
        this.text.push(netAddr(n, src));
        this.next6.push(0);
        this.w6.push(0, 0, 0, 0);
        this.v4.set(v, id);
      }
      return id;
    }
    if (n.addrLength === 16 || n.kind === NET_IPV6) {
      const w0 = a[0], w1 = a[1], w2 = a[2], w3 = a[3];
      let h = Math.imul(w0 ^ 0x2545f491, 0x9e3779b1);
      h = Math.imul(h ^ w1, 0x85ebca6b);
      h = Math.imul(h ^ w2, 0xc2b2ae35);
      h = Math.imul(h ^ w3, 0x27d4eb2f);
      h ^= h >>> 15;
      const first = this.v6.get(h);
      for (let id = first ?? 0; id !== 0; id = this.next6[id]) {
        const k = id * 4;
        if (this.w6[k] === w0 && this.w6[k + 1] === w1 && this.w6[k + 2] === w2 && this.w6[k + 3] === w3) return id;
      }
      const id = this.text.length;
      this.text.push(netAddr(n, src));
      this.next6.push(first ?? 0);
      this.w6.push(w0, w1, w2, w3);
      this.v6.set(h, id);
      return id;
    }
    return 0;
  }
}
