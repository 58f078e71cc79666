/**
 * `podpath topology --format json`: the versioned contract documented in docs/topology-json.md.
 * Schema "podpath.topology/1": fields are only ever added, never renamed or retyped.
 */
import type { Topology } from '../topology/model.js';

export const TOPOLOGY_SCHEMA = 'podpath.topology/1';

export interface TopologyJson extends Topology {
  schema: typeof TOPOLOGY_SCHEMA;
}

/** The topology as its JSON document (keys in a fixed order; undefined members dropped). */
export function topologyJson(t: Topology): TopologyJson {
  return {
    schema: TOPOLOGY_SCHEMA,
    hosts: t.hosts,
    pods: t.pods,
    overlay: t.overlay,
    captures: t.captures,
    findings: t.findings,
  };
}

export function renderTopologyJson(t: Topology): string {
  return JSON.stringify(topologyJson(t), null, 2) + '\n';
}
