/** `podpath topology --format dot`: Graphviz of the topology graph (topology-graph.ts). */
import type { Topology } from '../topology/model.js';
import { topologyGraph, type GraphCluster, type GraphNode } from './topology-graph.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g;

/**
 * A DOT double-quoted string: backslashes (which start Graphviz escapes such as \N, \G, \l) and
 * quotes are escaped, newlines become \n, control characters become spaces. `<` and `>` are plain
 * text in a quoted string (only <...> HTML labels are markup, and none are written).
 */
export function dotString(value: string): string {
  return `"${value.replace(CONTROL, ' ').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

const SHAPE: Record<GraphNode['shape'], string> = {
  interface: 'box',
  bridge: 'box3d',
  tunnel: 'hexagon',
  veth: 'ellipse',
  pod: 'component',
  host: 'box',
};

function cluster(c: GraphCluster, indent: string, out: string[]): void {
  out.push(`${indent}subgraph cluster_${c.id} {`);
  out.push(`${indent}  label=${dotString(c.label)};`);
  if (c.role === 'pod') out.push(`${indent}  style=dashed;`);
  for (const n of c.nodes) out.push(`${indent}  ${n.id} [shape=${SHAPE[n.shape]}, label=${dotString(n.label.join('\n'))}];`);
  for (const sub of c.clusters) cluster(sub, indent + '  ', out);
  out.push(`${indent}}`);
}

export function renderTopologyDot(t: Topology): string {
  const g = topologyGraph(t);
  const out = ['graph topology {', '  rankdir=LR;', '  node [fontsize=10];'];
  for (const c of g.clusters) cluster(c, '  ', out);
  for (const e of g.edges) {
    const attrs: string[] = [];
    if (e.label) attrs.push(`label=${dotString(e.label)}`);
    if (e.style === 'tunnel') attrs.push('style=dashed', 'color=blue', 'dir=forward');
    if (e.style === 'underlay') attrs.push('style=bold');
    if (e.style === 'pod-inferred' || e.style === 'pod-unknown' || e.style === 'encap') attrs.push('style=dashed');
    out.push(`  ${e.from} -- ${e.to}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
