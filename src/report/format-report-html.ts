import { ANSWER_WINDOW_MS, describeDeadline, NOTICE_DEADLINE_MS } from '../core/deadlines.js';
import { type ReportSection, toReportSections } from './report-sections.js';
import type { ComplianceReport } from './report-types.js';

/** What each node's report proves, under the title. */
const ANSWER = describeDeadline(ANSWER_WINDOW_MS);
const NOTICE = describeDeadline(NOTICE_DEADLINE_MS);
const RULES: Record<ComplianceReport['node'], string> = {
  operator: `Identification requests answered within ${ANSWER} of receipt (R3, R10); notices of ended contracts acknowledged within ${NOTICE} of the event (R7, R12).`,
  messenger: `Identification requests each operator answered within ${ANSWER} (R3, R4, R10); notices received within ${NOTICE} of the event (R7); users suspended or deauthorized (R8).`,
};

/**
 * The report as one self-contained HTML page: inline style, no script, no
 * external assets, so it can be mailed or archived as a single file.
 */
export function formatReportHtml(report: ComplianceReport): string {
  const title = `idbridge ${report.node} compliance report, ${report.from} to ${report.to}`;
  const sections = toReportSections(report);
  const body =
    sections.length === 0
      ? '<p>Nothing in this range.</p>'
      : sections.map(formatSection).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; }
tr.miss td { background: #fde8e8; }
p.meta { color: #555; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(RULES[report.node])} Range [from, to); judged as of ${escapeHtml(report.asOf)}.</p>
${body}
</body>
</html>
`;
}

function formatSection(s: ReportSection): string {
  const heading = s.counterparty ? `${s.counterparty}: ${s.section}` : s.section;
  const figures = s.figures
    .map(([name, value]) => `<tr><th>${label(name)}</th>${numberCell(value)}</tr>`)
    .join('\n');
  const items = s.items.rows;
  let list = `<p>No ${label(s.items.label)}.</p>`;
  if (items.length > 0) {
    const keys = items[0]?.details.map(([k]) => k) ?? [];
    const headings = [s.items.nameHeading, s.items.valueHeading, ...keys]
      .map((h) => `<th>${label(h)}</th>`)
      .join('');
    const rowClass = s.items.label === 'misses' ? ' class="miss"' : '';
    const rows = items
      .map(
        (item) =>
          `<tr${rowClass}><td>${escapeHtml(item.name)}</td>${
            typeof item.value === 'number'
              ? numberCell(item.value)
              : `<td>${escapeHtml(item.value)}</td>`
          }${item.details.map(([, v]) => `<td>${escapeHtml(v === null ? '' : String(v))}</td>`).join('')}</tr>`,
      )
      .join('\n');
    list = `<h3>${label(s.items.label)}</h3>\n<table>\n<tr>${headings}</tr>\n${rows}\n</table>`;
  }
  return `<section>
<h2>${escapeHtml(heading)}</h2>
<table>
${figures}
</table>
${list}
</section>`;
}

function numberCell(value: number | null): string {
  return `<td class="num">${value === null ? '' : String(value)}</td>`;
}

function label(name: string): string {
  return escapeHtml(name.replaceAll('_', ' '));
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
