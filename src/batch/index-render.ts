/**
 * The batch index: `<out>/index.md` and `<out>/index.html`, incidents ranked by their worst
 * finding (critical, error, warning, info, none; failed incidents last; then by slug), each with
 * links to its reports, its headline, flows by verdict, packets and problems. Pure functions of
 * the entries (no clock unless a timestamp is passed): the same entries give byte-identical
 * files, whether they come from one run or from merged shard manifests.
 *
 * The HTML is self-contained like the incident reports (src/report/html.ts: same palette and
 * components, a Content-Security-Policy that allows its one inline style by hash, no script).
 * Everything from the incidents goes through the escapers of src/report/escape.ts; slugs are
 * [A-Za-z0-9._-] only, so they are safe in links.
 */
import { SEVERITIES } from '../severity.js';
import { createHash } from 'node:crypto';
import { escapeAttr, escapeHtml as h, escapeMarkdown, markdownCode } from '../report/escape.js';
import type { Severity } from '../topology/model.js';
import type { IncidentEntry } from './types.js';

export interface IndexOptions {
  /** "generated at" line (--timestamp); omitted by default so indexes diff cleanly. */
  timestamp?: string;
  /** Shards whose manifests a partial merge did not find ("2/3"). */
  missingShards?: string[];
}

const RANK: Record<string, number> = { critical: 0, error: 1, warning: 2, info: 3, none: 4, failed: 5 };

/** "critical" ... "info", "none", or "failed". */
export function level(e: IncidentEntry): string {
  return e.status === 'failed' ? 'failed' : (e.worst ?? 'none');
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Worst first, then by slug (code-unit order: no locale, the same everywhere). */
export function rankEntries(entries: IncidentEntry[]): IncidentEntry[] {
  return [...entries].sort((a, b) => RANK[level(a)] - RANK[level(b)] || cmp(a.slug, b.slug) || cmp(a.path, b.path));
}

function plural(n: number, w: string): string {
  return `${n} ${w}${n === 1 ? '' : 's'}`;
}

/** "4 incidents: 1 critical, 1 error, 2 without findings, 1 failed". */
export function indexCounts(entries: IncidentEntry[]): string {
  const by = (l: string) => entries.filter((e) => level(e) === l).length;
  const parts = SEVERITIES.filter((l) => by(l) > 0).map((l) => `${by(l)} ${l}`);
  if (by('none')) parts.push(`${by('none')} without findings`);
  if (by('failed')) parts.push(`${by('failed')} failed`);
  return `${plural(entries.length, 'incident')}${parts.length ? ': ' + parts.join(', ') : ''}`;
}

/** "5 flows: 2 ok, 3 lost". */
export function flowText(e: IncidentEntry): string {
  const v = (['ok', 'lost', 'unanswered', 'partial'] as const).filter((k) => e.flows[k] > 0).map((k) => `${e.flows[k]} ${k}`);
  return `${plural(e.flows.total, 'flow')}${v.length ? ': ' + v.join(', ') : ''}`;
}

function headlineText(e: IncidentEntry): string {
  if (e.status === 'failed') return e.error ?? '';
  const s = e.headline;
  return s ? s[0].toUpperCase() + s.slice(1) : '';
}

// ---------------------------------------------------------------- markdown

export function renderIndexMarkdown(entries: IncidentEntry[], opts: IndexOptions = {}): string {
  const ranked = rankEntries(entries);
  const cell = (s: unknown) => escapeMarkdown(s, 'cell');
  const out: string[] = ['# podpath incidents', '', `**${escapeMarkdown(indexCounts(entries))}**`];
  if (opts.missingShards?.length) out.push('', `**Incomplete:** no manifest for shard ${opts.missingShards.map((s) => escapeMarkdown(s)).join(', ')}.`);
  if (opts.timestamp) out.push('', `Generated at ${escapeMarkdown(opts.timestamp)}.`);
  out.push('');
  if (ranked.length === 0) {
    out.push('No incidents.');
    return out.join('\n') + '\n';
  }
  out.push('| # | incident | worst | what failed | flows | packets | problems |', '| ---: | --- | --- | --- | --- | ---: | ---: |');
  ranked.forEach((e, i) => {
    const name =
      e.status === 'ok'
        ? `[${cell(e.slug)}](${e.slug}/report.md) ([html](${e.slug}/report.html), [json](${e.slug}/report.json))<br>${markdownCode(e.path, true)}`
        : `${cell(e.slug)}<br>${markdownCode(e.path, true)}`;
    const worst = e.status === 'failed' ? '**failed**' : e.worst ? `**${e.worst}**${e.worstCode ? ` ${markdownCode(e.worstCode, true)}` : ''}` : 'none';
    out.push(
      `| ${i + 1} | ${name} | ${worst} | ${cell(headlineText(e)) || ' '} | ${e.status === 'ok' ? cell(flowText(e)) : ' '} | ${e.status === 'ok' ? e.packets : ' '} | ${e.status === 'ok' ? e.problems : ' '} |`,
    );
  });
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- html

/** The palette and components of the incident reports (src/report/html.ts), only what the index uses. */
const STYLE = `
:root{--bg:#f5f7fa;--card:#fff;--line:#e4e7ec;--text:#101828;--muted:#667085;--accent:#444ce7;
--crit:#b42318;--crit-bg:#fef3f2;--err:#c4320a;--err-bg:#fff6ed;--warn:#b54708;--warn-bg:#fffaeb;
--info:#175cd3;--info-bg:#eff8ff;--ok:#067647;--ok-bg:#ecfdf3;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
code{font-family:var(--mono);font-size:12.5px}
.wrap{max-width:1320px;margin:0 auto;padding:0 24px}
.banner{background:#fff;border-bottom:1px solid var(--line);border-top:6px solid var(--ok)}
.banner.sev-critical,.banner.sev-error,.banner.sev-failed{border-top-color:var(--crit)}
.banner.sev-warning{border-top-color:var(--warn)}
.banner .wrap{padding-top:22px;padding-bottom:22px}
.brand{color:var(--muted);font-size:12px;letter-spacing:.06em;text-transform:uppercase;font-weight:600}
h1{font-size:24px;line-height:1.3;margin:10px 0 8px;font-weight:650;overflow-wrap:anywhere}
.note{margin:6px 0 0;color:var(--crit)}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.chips li{background:var(--bg);border:1px solid var(--line);border-radius:999px;padding:2px 12px;font-size:12.5px;color:#344054}
main{padding:20px 0 40px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 22px;margin:0 0 18px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.tscroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th{font-size:12px;color:var(--muted);font-weight:600;background:#f9fafb;white-space:nowrap}
tbody tr:hover{background:#f9fafb}
td.num,th.num{text-align:right;white-space:nowrap}
a{color:var(--accent)}
.inc{min-width:220px}
.inc a.main{font-weight:600}
td.worst{white-space:nowrap}
.inc .more,.muted{color:var(--muted);font-size:12px}
.inc code{display:block;color:#475467;font-size:11.5px}
.badge{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:6px;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.b-critical,.b-failed{background:var(--crit);color:#fff}
.b-error{background:var(--err-bg);color:var(--err)}
.b-warning{background:var(--warn-bg);color:var(--warn)}
.b-info{background:var(--info-bg);color:var(--info)}
.b-none{background:var(--ok-bg);color:var(--ok)}
.code{display:block;margin-top:3px}
.flows{min-width:150px}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap;margin:0 4px 2px 0}
.v-ok{background:var(--ok-bg);color:var(--ok)}
.v-lost{background:var(--crit-bg);color:var(--crit)}
.v-unanswered{background:var(--err-bg);color:var(--err)}
.v-partial{background:#f2f4f7;color:#475467}
tr.failed td.what{color:var(--crit)}
footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 28px}
`;

function csp(): string {
  const hash = createHash('sha256').update(STYLE, 'utf8').digest('base64');
  return ["default-src 'none'", `style-src 'sha256-${hash}'`, "script-src 'none'", "img-src 'none'", "base-uri 'none'", "form-action 'none'"].join('; ');
}

function rowHtml(e: IncidentEntry, i: number): string {
  const l = level(e);
  const name =
    e.status === 'ok'
      ? `<a class="main" href="${escapeAttr(e.slug)}/report.html">${h(e.slug)}</a> <span class="more">(<a href="${escapeAttr(e.slug)}/report.md">md</a>, <a href="${escapeAttr(e.slug)}/report.json">json</a>)</span>`
      : `<span class="main">${h(e.slug)}</span>`;
  const badge = `<span class="badge b-${escapeAttr(l)}">${h(l)}</span>${e.worstCode ? `<code class="code">${h(e.worstCode)}</code>` : ''}`;
  const flows =
    e.status === 'ok'
      ? `<span class="muted">${h(plural(e.flows.total, 'flow'))}</span><br>` +
        (['ok', 'lost', 'unanswered', 'partial'] as const)
          .filter((k) => e.flows[k] > 0)
          .map((k) => `<span class="pill v-${k}">${h(e.flows[k])} ${h(k)}</span>`)
          .join('')
      : '';
  const num = (n: number) => (e.status === 'ok' ? h(n) : '');
  return (
    `<tr class="${e.status === 'failed' ? 'failed' : 'ok'}"><td class="num">${i + 1}</td>` +
    `<td class="inc">${name}<code>${h(e.path)}</code></td>` +
    `<td class="worst">${badge}</td><td class="what">${h(headlineText(e))}</td><td class="flows">${flows}</td>` +
    `<td class="num">${num(e.packets)}</td><td class="num">${num(e.problems)}</td></tr>`
  );
}

export function renderIndexHtml(entries: IncidentEntry[], opts: IndexOptions = {}): string {
  const ranked = rankEntries(entries);
  const top = ranked[0] ? level(ranked[0]) : 'none';
  const chips = [
    `${ranked.filter((e) => e.status === 'ok').reduce((s, e) => s + e.flows.total, 0)} flows`,
    `${ranked.reduce((s, e) => s + e.packets, 0)} packets`,
  ];
  if (opts.timestamp) chips.push(`generated at ${opts.timestamp}`);
  const table = ranked.length
    ? '<div class="tscroll"><table><thead><tr><th class="num">#</th><th>incident</th><th>worst</th><th>what failed</th><th>flows</th><th class="num">packets</th><th class="num">problems</th></tr></thead>' +
      `<tbody>${ranked.map(rowHtml).join('\n')}</tbody></table></div>`
    : '<p class="muted">No incidents.</p>';
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp())}">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="referrer" content="no-referrer">\n' +
    `<title>podpath: ${h(indexCounts(entries))}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
    `<header class="banner sev-${escapeAttr(top as Severity | 'none' | 'failed')}"><div class="wrap">` +
    '<div class="brand">podpath incidents</div>' +
    `<h1>${h(indexCounts(entries))}</h1>` +
    (opts.missingShards?.length ? `<p class="note">Incomplete: no manifest for shard ${h(opts.missingShards.join(', '))}.</p>` : '') +
    `<ul class="chips">${chips.map((c) => `<li>${h(c)}</li>`).join('')}</ul>` +
    '</div></header>\n<main class="wrap">\n' +
    `<section class="card" id="incidents">${table}</section>\n` +
    '</main>\n<footer>podpath report</footer>\n</body>\n</html>\n'
  );
}
