import { formatReportCsv } from './format-report-csv.js';
import { formatReportHtml } from './format-report-html.js';
import type { ComplianceReport, ReportFormat } from './report-types.js';

/** The report in the requested format, ready to print. */
export function formatReport(report: ComplianceReport, format: ReportFormat): string {
  if (format === 'csv') return formatReportCsv(report);
  if (format === 'html') return formatReportHtml(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}
