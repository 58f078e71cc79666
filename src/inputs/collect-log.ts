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
