/**
 * The compliance report as one printable HTML page in Chinese or English: chain of custody in the header, a
 * summary of the eight verdicts, coverage by inspection state, each principle with its checks and evidence, and
 * the data inventory. Self-contained: one inline style sheet (print CSS, A4 page breaks, system CJK fonts), no
 * script, no external font, image or link to fetch. Every value from the capture is escaped. `STYLE_SHA256` lets
 * a server allow exactly that style sheet in its Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import type { Check, ComplianceReport, ReportItem, Verdict } from './compliance.ts';
import {
  CATEGORY_NAMES,
  fill,
  LABELS,
  type Lang,
  PRINCIPLES,
  RULES,
  TLS_STATES,
  utc,
  VERDICTS,
} from './compliance-text.ts';

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  "WenQuanYi Micro Hei", system-ui, sans-serif; font-size: 10.5pt; line-height: 1.45; color: #111; margin: 0 auto;
  max-width: 60em; padding: 1.5em; }
h1 { font-size: 18pt; margin: 0 0 .2em; } h2 { font-size: 13pt; margin: 1.4em 0 .5em; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: 1em 0 .3em; }
.sub { color: #444; margin: 0 0 1em; }
table { border-collapse: collapse; width: 100%; margin: .3em 0 .8em; }
th, td { border: 1px solid #bbb; padding: .25em .45em; text-align: left; vertical-align: top; }
th { background: #eee; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.mono { font-family: "DejaVu Sans Mono", "Noto Sans Mono", monospace; font-size: 8.5pt; word-break: break-all; }
.v { display: inline-block; padding: 0 .5em; border-radius: .3em; border: 1px solid; font-weight: 600; white-space: nowrap; }
.v-violation { color: #8b0000; border-color: #8b0000; background: #fde8e8; }
.v-needs-review { color: #7a4a00; border-color: #b07000; background: #fff4dc; }
.v-not-observed { color: #333; border-color: #777; background: #f0f0f0; }
.v-pass { color: #0b5d1e; border-color: #0b5d1e; background: #e6f4ea; }
.v-not-assessable { color: #555; border-color: #aaa; background: #fff; font-weight: 400; }
.principle { break-inside: avoid-page; page-break-inside: avoid; }
.check { margin: .4em 0 .8em; } .check .rule { margin: 0 .4em; }
.note { color: #444; font-size: 9.5pt; }
dl.custody { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: 0; }
dl.custody dt { font-weight: 600; } dl.custody dd { margin: 0; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 9.5pt; }
  h2 { break-after: avoid-page; page-break-after: avoid; }
  .principles { break-before: page; page-break-before: always; }
  table { break-inside: auto; table-layout: fixed; } tr { break-inside: avoid; page-break-inside: avoid; }
  td, th { overflow-wrap: anywhere; }
  table.items th:nth-child(1) { width: 19%; } table.items th:nth-child(2) { width: 22%; }
  table.items th:nth-child(3) { width: 9%; } table.items th:nth-child(4) { width: 11%; }
  table.items th:nth-child(5) { width: 8%; } table.items th:nth-child(6) { width: 7%; }
  table.items td.mono { font-size: 7.5pt; overflow-wrap: normal; word-break: normal; }
  table.items th { overflow-wrap: normal; hyphens: auto; }
  thead { display: table-header-group; }
}`;

/** `'sha256-…'` of the inline style sheet, for a CSP `style-src`. */
export const STYLE_SHA256 = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for HTML content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]!);
}

const num = (n: number) => n.toLocaleString('en-US');

export function renderComplianceHtml(r: ComplianceReport, lang: Lang): string {
  const t = (x: Record<Lang, string>) => x[lang];
  const verdict = (v: Verdict) => `<span class="v v-${v}">${esc(t(VERDICTS[v]))}</span>`;
  const cat = (c: string) => esc(CATEGORY_NAMES[c] ? t(CATEGORY_NAMES[c]) : c);
  const deviceLabel = r.device.name ? `${r.device.name} (${r.device.id})` : r.device.id;
  const c = r.custody;
  const visible = Math.round(r.coverage.visibleUpShare * 100);

  const custody = `<dl class="custody">
    <dt>${esc(t(LABELS.device))}</dt><dd>${esc(deviceLabel)}</dd>
    <dt>${esc(t(LABELS.version))}</dt><dd>${esc(c.toyscopeVersion)}</dd>
    <dt>${esc(t(LABELS.generated))}</dt><dd>${esc(utc(c.generatedAt))}</dd>
    <dt>${esc(t(LABELS.window))}</dt><dd>${esc(utc(c.firstTs))} — ${esc(utc(c.lastTs))}</dd>
    <dt>${esc(t(LABELS.zone))}</dt><dd>${esc(c.timeZone)}</dd>
    <dt>${esc(t(LABELS.tester))}</dt><dd>${esc(c.tester ?? '—')}</dd>
    <dt>${esc(t(LABELS.captures))}</dt><dd>${
      c.captures.length
        ? c.captures
            .map(
              (x) =>
                `<div class="mono">${esc(x.sha256 ?? t(LABELS.notReadWhole))} · ${esc(x.path)} · ${num(x.bytes)} B</div>`,
            )
            .join('')
        : esc(t(LABELS.noCaptures))
    }</dd>
    <dt>${esc(t(LABELS.config))}</dt><dd class="mono">${esc(c.configSha256 ?? '—')}</dd>
    <dt>${esc(t(LABELS.policy))}</dt><dd class="mono">${esc(c.policySha256 ?? '—')}</dd>
    <dt>${esc(t(LABELS.experiments))}</dt><dd>${
      c.experiments.length
        ? c.experiments
            .map(
              (e) =>
                `<div>${esc(e.name)}: ${esc(utc(e.startTs))} — ${esc(e.endTs === undefined ? t(LABELS.running) : utc(e.endTs))}${e.notes ? ` · ${esc(e.notes)}` : ''}</div>`,
            )
            .join('')
        : esc(t(LABELS.none))
    }</dd>
    <dt>${esc(t(LABELS.scope))}</dt><dd>${esc(r.scope.length ? r.scope.map((e) => e.name).join(', ') : t(LABELS.allTraffic))}</dd>
  </dl>`;

  const summary = `<table><thead><tr><th>#</th><th>${esc(t(LABELS.principle))}</th><th>${esc(t(LABELS.verdict))}</th></tr></thead><tbody>${r.principles
    .map(
      (p) =>
        `<tr><td class="n">${p.number}</td><td>${esc(t(PRINCIPLES[p.number]!))}</td><td>${verdict(p.verdict)}</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const coverage = `<p class="note">${esc(fill(t(LABELS.coverageNote), { visible }))}</p>
  <table><thead><tr><th>${esc(t(LABELS.state))}</th><th>${esc(t(LABELS.flows))}</th><th>${esc(t(LABELS.up))}</th><th>${esc(t(LABELS.down))}</th></tr></thead><tbody>${r.coverage.rows
    .map((row) => {
      const state = row.transport === 'udp' ? 'udp' : row.tls;
      const label = TLS_STATES[state] ? t(TLS_STATES[state]) : state;
      return `<tr><td>${esc(label)} <span class="note">(${esc(row.transport)})</span></td><td class="n">${num(row.flows)}</td><td class="n">${num(row.bytesUp)}</td><td class="n">${num(row.bytesDown)}</td></tr>`;
    })
    .join('')}</tbody></table>`;

  const itemsTable = (items: ReportItem[]) =>
    items.length === 0
      ? ''
      : `<table class="items"><thead><tr><th>${esc(t(LABELS.category))}</th><th>${esc(t(LABELS.recipient))}</th><th>${esc(t(LABELS.country))}</th><th>${esc(t(LABELS.party))}</th><th>${esc(t(LABELS.encrypted))}</th><th>${esc(t(LABELS.count))}</th><th>${esc(t(LABELS.findings))}</th></tr></thead><tbody>${items
          .map(
            (i) =>
              `<tr><td>${cat(i.category)} / ${esc(i.subtype)}</td><td>${esc(i.operator ? `${i.operator} · ${i.host}` : i.host)}</td><td>${esc(i.country ?? '—')}</td><td>${esc(t(i.thirdParty ? LABELS.third : r.firstPartyKnown ? LABELS.first : LABELS.partyUnknown))}</td><td>${esc(t(i.encrypted ? LABELS.yes : LABELS.no))}</td><td class="n">${num(i.count)}</td><td class="mono">${i.findingIds.map(esc).join('<br>')}</td></tr>`,
          )
          .join('')}</tbody></table>`;

  const checkHtml = (ch: Check) =>
    `<div class="check">${verdict(ch.verdict)} <span class="mono rule">${esc(ch.rule)}</span><span>${esc(fill(t(RULES[ch.rule] ?? { 'zh-CN': ch.rule, en: ch.rule }), { count: ch.count, ...ch.params }))}</span>${itemsTable(ch.items)}</div>`;

  const principles = r.principles
    .map(
      (p) =>
        `<section class="principle"><h3>${p.number}. ${esc(t(PRINCIPLES[p.number]!))} ${verdict(p.verdict)}</h3>${
          p.checks.length ? p.checks.map(checkHtml).join('') : `<p class="note">${esc(t(LABELS.notAssessable))}</p>`
        }</section>`,
    )
    .join('');

  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(t(LABELS.title))} — ${esc(deviceLabel)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(t(LABELS.title))}</h1>
<p class="sub">${esc(t(LABELS.subtitle))}</p>
<h2>${esc(t(LABELS.custody))}</h2>
${custody}
</header>
<h2>${esc(t(LABELS.summary))}</h2>
${summary}
<h2>${esc(t(LABELS.coverage))}</h2>
${coverage}
<div class="principles">
<h2>${esc(t(LABELS.principle))} 1–8</h2>
${principles}
</div>
<h2>${esc(t(LABELS.observed))}</h2>
${r.observed.length ? itemsTable(r.observed) : `<p>${esc(t(LABELS.none))}</p>`}
</body>
</html>
`;
}
