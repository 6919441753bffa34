import { toReportSections } from './report-sections.js';
import type { ComplianceReport } from './report-types.js';

/** Column order of the CSV: one figure or one listed item per line. */
export const REPORT_CSV_HEADER = ['section', 'counterparty', 'name', 'value', 'detail'] as const;

/**
 * The report as CSV (RFC 4180, CRLF line ends), long format so any number
 * of counterparties fits one fixed header:
 * - `report,,node|from|to|as_of,<value>,` — what the file covers;
 * - `<section>,<counterparty>,<figure>,<number>,` — a figure (empty: none);
 * - `<section>.<items>,<counterparty>,<kind>,<id or count>,<k=v; …>` — a
 *   listed item: a miss with its id, or a count by cause.
 */
export function formatReportCsv(report: ComplianceReport): string {
  const lines: Array<ReadonlyArray<string | number | null>> = [
    REPORT_CSV_HEADER,
    ['report', '', 'node', report.node, ''],
    ['report', '', 'from', report.from, ''],
    ['report', '', 'to', report.to, ''],
    ['report', '', 'as_of', report.asOf, ''],
  ];
  for (const s of toReportSections(report)) {
    for (const [name, value] of s.figures) lines.push([s.section, s.counterparty, name, value, '']);
    for (const item of s.items.rows) {
      const detail = item.details.map(([k, v]) => `${k}=${v ?? ''}`).join('; ');
      lines.push([`${s.section}.${s.items.label}`, s.counterparty, item.name, item.value, detail]);
    }
  }
  return `${lines.map((cells) => cells.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
