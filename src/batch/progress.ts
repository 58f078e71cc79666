/**
 * The progress line of `podpath report` on a terminal: incidents done of total, failures, the
 * incident being analyzed, and an ETA from the throughput so far, redrawn in place with \r.
 * Nothing at all when stderr is not a terminal or with --quiet.
 */
import type { Io } from '../io.js';

export interface Progress {
  start(slug: string): void;
  done(slug: string, failed: boolean): void;
  /** A message line (a failed incident) above the progress line. */
  log(line: string): void;
  end(): void;
}

export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function progressLine(io: Io, total: number, quiet: boolean, now: () => number = Date.now): Progress {
  if (quiet || !io.stderrIsTTY || !io.status || total === 0) return { start() {}, done() {}, log: (l) => io.err(l), end() {} };
  const status = io.status.bind(io);
  const t0 = now();
  const running: string[] = [];
  let done = 0;
  let failed = 0;
  let last = 0;
  let drawn = false;
  const draw = (force: boolean) => {
    const t = now();
    if (!force && t - last < 200) return;
    last = t;
    const pct = Math.floor((done / total) * 100);
    const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
    const eta = done > 0 && done < total ? ` · ETA ${clock(((t - t0) / done) * (total - done))}` : '';
    const current = running.length ? ` · ${running[0]}${running.length > 1 ? ` +${running.length - 1}` : ''}` : '';
    status(`\r[${bar}] ${done}/${total} incidents${failed ? ` · ${failed} failed` : ''}${current}${eta}\u001b[K`);
    drawn = true;
  };
  return {
    start(slug) {
      running.push(slug);
      draw(false);
    },
    done(slug, bad) {
      const i = running.indexOf(slug);
      if (i >= 0) running.splice(i, 1);
      done++;
      if (bad) failed++;
      draw(true);
    },
    log(line) {
      if (drawn) status('\r\u001b[K');
      io.err(line);
      if (drawn) draw(true);
    },
    end() {
      if (drawn) status('\n');
    },
  };
}
