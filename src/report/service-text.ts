/**
 * Plain-text pieces for a flow addressed to a Service, shared by the HTML and Markdown renderers:
 * the Service ("Service default/web 10.43.0.50:80", with its node port), its backend
 * ("10.42.1.12:8080 pod default/web-1 on ip-10-32-7-224") and one translation
 * ("DNAT 10.43.0.50:80 → 10.42.1.12:8080"). Read from the typed fields only; callers escape.
 */
import type { FlowReport, NatEntry } from '../path/types.js';

function hostPort(ip: string, port?: number): string {
  const a = ip.includes(':') ? `[${ip}]` : ip;
  return port !== undefined ? `${a}:${port}` : ip;
}

/** "Service default/web 10.43.0.50:80 (nodePort 30080)", or undefined without a Service. */
export function serviceText(f: Pick<FlowReport, 'service'>): string | undefined {
  const s = f.service;
  if (!s) return undefined;
  return `Service ${s.namespace}/${s.name} ${hostPort(s.clusterIP, s.port)}${s.nodePort !== undefined ? ` (nodePort ${s.nodePort})` : ''}`;
}

/** "10.42.1.12:8080 pod default/web-1 on ip-10-32-7-224", or undefined without a backend. */
export function backendText(f: Pick<FlowReport, 'backend'>): string | undefined {
  const b = f.backend;
  if (!b) return undefined;
  return [hostPort(b.ip, b.port), b.pod ? `pod ${b.pod}` : '', b.host ? `on ${b.host}` : ''].filter(Boolean).join(' ');
}

/** "Service default/web 10.43.0.50:80 → backend 10.42.1.12:8080 pod web-1 on ip-a". */
export function serviceLine(f: Pick<FlowReport, 'service' | 'backend'>): string | undefined {
  const s = serviceText(f);
  const b = backendText(f);
  if (!s && !b) return undefined;
  return [s, b ? `backend ${b}` : ''].filter(Boolean).join(' → ');
}

/** "DNAT 10.43.0.50:80 → 10.42.1.12:8080", "MASQUERADE 10.32.0.5:40000 → 10.42.0.0:40000". */
export function natText(n: NatEntry): string {
  return `${n.type.toUpperCase()} ${hostPort(n.from.ip, n.from.port)} → ${hostPort(n.to.ip, n.to.port)}`;
}
