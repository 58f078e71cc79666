/**
 * The collector's `collect.log` (bin/podpath-collect): when its captures ran. A capture that holds
 * no packet still proves, through this window, that nothing passed while it ran.
 *
 *   capture started: 2026-11-26T08:40:01Z (epoch 1795682401)
 *   captured: eth0 -> node1/eth0.pcap (exit 0) 24 packets captured ...
 *   capture ended: 2026-11-26T08:40:31Z (epoch 1795682431)
 */
export interface CollectLog {
  /** Epoch seconds the captures started and ended. */
  captureStart?: number;
  captureEnd?: number;
  /** Interfaces the collector captured on (`captured: IF -> ...`). */
  captured: string[];
}

export const COLLECT_LOG_NAME = 'collect.log';

export function parseCollectLog(text: string): CollectLog {
  const log: CollectLog = { captured: [] };
  for (const line of text.split(/\r?\n/)) {
    let m = /^capture started: .*\(epoch (\d+)\)/.exec(line);
    if (m) log.captureStart = Number(m[1]);
    m = /^capture ended: .*\(epoch (\d+)\)/.exec(line);
    if (m) log.captureEnd = Number(m[1]);
    m = /^captured: (\S+) -> /.exec(line);
    if (m) log.captured.push(m[1]);
  }
  return log;
}

/** The collector's own files that describe the run, not the node: read quietly, never parsed. */
export const COLLECTOR_META = /^(uname(-a)?\.txt|podpath-manifest\.txt)$/;

/**
 * Files the collector saves for commands podpath does not analyze (yet): listed in the inventory
 * as known, with no problem line, when no parser recognizes them.
 */
const NOT_ANALYZED: [RegExp, string][] = [
  [/^iptables-save\.txt$/, 'iptables-save'],
  [/^ip6tables-save\.txt$/, 'ip6tables-save'],
  [/^nft-ruleset\.txt$/, 'nft list ruleset'],
  [/^conntrack\.txt$/, 'conntrack -L'],
  [/^ipvsadm\.txt$/, 'ipvsadm -Ln'],
  [/^ip-s-link\.txt$/, 'ip -s link'],
  [/^ethtool-k-.+\.txt$/, 'ethtool -k'],
  [/^ip(-6)?-rule\.txt$/, 'ip rule'],
  [/^sysctl\.txt$/, 'sysctl'],
  [/^kubectl-wide\.txt$/, 'kubectl get pods,svc,endpointslices,nodes'],
];

/** "iptables-save" for the collector's iptables-save.txt; undefined for other names. */
export function notAnalyzedCommand(fileName: string): string | undefined {
  return NOT_ANALYZED.find(([re]) => re.test(fileName))?.[1];
}
