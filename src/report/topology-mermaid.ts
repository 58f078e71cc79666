/** `podpath topology --format mermaid`: a flowchart of the topology graph (topology-graph.ts). */
import type { Topology } from '../topology/model.js';
import { topologyGraph, type GraphCluster, type GraphNode } from './topology-graph.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;

/**
 * Text for inside a double-quoted Mermaid label: every character Mermaid, Markdown or HTML would
 * read as syntax becomes a Mermaid entity code (`#34;` for `"`, `#60;` for `<`, ...); control
 * characters become spaces. Identifiers are never built from input.
 */
export function mermaidText(value: string): string {
  return value.replace(CONTROL, ' ').replace(/[#"'`<>[\](){}|&;\\]/g, (c) => `#${c.charCodeAt(0)};`);
}

const label = (lines: string[]) => `"${lines.map(mermaidText).join('<br/>')}"`;

function node(n: GraphNode): string {
  const l = label(n.label);
  switch (n.shape) {
    case 'bridge':
      return `${n.id}[[${l}]]`;
    case 'tunnel':
      return `${n.id}{{${l}}}`;
    case 'pod':
      return `${n.id}([${l}])`;
    case 'veth':
      return `${n.id}(${l})`;
    default:
      return `${n.id}[${l}]`;
  }
}

function cluster(c: GraphCluster, indent: string, out: string[]): void {
  out.push(`${indent}subgraph ${c.id}[${label([c.label])}]`);
  for (const n of c.nodes) out.push(`${indent}  ${node(n)}`);
  for (const sub of c.clusters) cluster(sub, indent + '  ', out);
  out.push(`${indent}end`);
}

export function renderTopologyMermaid(t: Topology): string {
  const g = topologyGraph(t);
  const out = ['flowchart LR'];
  for (const c of g.clusters) cluster(c, '  ', out);
  for (const e of g.edges) {
    const l = e.label ? `|${label([e.label])}|` : '';
    if (e.style === 'tunnel') out.push(`  ${e.from} -.->${l} ${e.to}`);
    else if (e.style === 'pod-inferred' || e.style === 'pod-unknown' || e.style === 'encap') out.push(`  ${e.from} -.-${l} ${e.to}`);
    else if (e.style === 'underlay') out.push(`  ${e.from} ===${l} ${e.to}`);
    else out.push(`  ${e.from} ---${l} ${e.to}`);
  }
  return out.join('\n') + '\n';
}
