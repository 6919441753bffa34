import type { ComplianceReport, MessengerReport, OperatorReport } from './report-types.js';

/**
 * A report flattened into sections (one per counterparty and subject, plus
 * node-wide ones) that the CSV and HTML formatters lay out: named figures,
 * then the listed items — the misses with their ids, or counts by cause.
 */
export interface ReportSection {
  /** identification | notices | transitions */
  section: string;
  /** The messenger or operator the figures are about; '' for node-wide. */
  counterparty: string;
  figures: Array<[name: string, value: number | null]>;
  /** What the items are (e.g. `misses`) and the headings of name and value. */
  items: { label: string; nameHeading: string; valueHeading: string; rows: ReportItem[] };
}

export interface ReportItem {
  name: string;
  value: string | number;
  details: Array<[key: string, value: string | number | null]>;
}

export function toReportSections(report: ComplianceReport): ReportSection[] {
  return report.node === 'operator' ? operatorSections(report) : messengerSections(report);
}

function operatorSections(report: OperatorReport): ReportSection[] {
  return report.counterparties.flatMap((c) => {
    const i = c.identification;
    const n = c.notices;
    return [
      {
        section: 'identification',
        counterparty: c.messengerId,
        figures: [
          ['requests', i.requests],
          ['answered_in_time', i.answeredInTime],
          ['answered_in_time_percent', i.answeredInTimePercent],
          ['answered_late', i.answeredLate],
          ['pending_past_deadline', i.pendingPastDeadline],
          ['answer_seconds_p50', i.answerSeconds.p50],
          ['answer_seconds_p95', i.answerSeconds.p95],
          ['answer_seconds_max', i.answerSeconds.max],
        ],
        items: {
          label: 'misses',
          nameHeading: 'miss',
          valueHeading: 'request_id',
          rows: i.misses.map((m) => ({
            name: m.kind,
            value: m.requestId,
            details: [
              ['received_at', m.receivedAt],
              ['answer_by', m.answerBy],
              ['answered_at', m.answeredAt],
              ['answer_seconds', m.answerSeconds],
              ['decided_by', m.decidedBy],
            ],
          })),
        },
      },
      {
        section: 'notices',
        counterparty: c.messengerId,
        figures: [
          ['written', n.written],
          ['acknowledged_in_time', n.acknowledgedInTime],
          ['acknowledged_late', n.acknowledgedLate],
          ['unacknowledged_past_due', n.unacknowledgedPastDue],
          ['rejected', n.rejected],
          ['awaiting', n.awaiting],
        ],
        items: {
          label: 'misses',
          nameHeading: 'miss',
          valueHeading: 'notification_id',
          rows: n.misses.map((m) => ({
            name: m.kind,
            value: m.notificationId,
            details: [
              ['outbox_id', m.outboxId],
              ['type', m.type],
              ['occurred_at', m.occurredAt],
              ['due_by', m.dueBy],
              ['acknowledged_at', m.acknowledgedAt],
              ['attempts', m.attempts],
            ],
          })),
        },
      },
    ] satisfies ReportSection[];
  });
}

function messengerSections(report: MessengerReport): ReportSection[] {
  const perOperator = report.counterparties.flatMap((c) => {
    const i = c.identification;
    const n = c.notices;
    return [
      {
        section: 'identification',
        counterparty: c.operatorId,
        figures: [
          ['sent', i.sent],
          ['answered_in_time', i.answeredInTime],
          ['answered_in_time_percent', i.answeredInTimePercent],
          ['answered_late', i.answeredLate],
          ['missed', i.missed],
          ['open_past_deadline', i.openPastDeadline],
          ['answer_seconds_p50', i.answerSeconds.p50],
          ['answer_seconds_p95', i.answerSeconds.p95],
          ['answer_seconds_max', i.answerSeconds.max],
        ],
        items: {
          label: 'misses',
          nameHeading: 'miss',
          valueHeading: 'request_id',
          rows: i.misses.map((m) => ({
            name: m.kind,
            value: m.requestId,
            details: [
              ['state', m.state],
              ['first_sent_at', m.firstSentAt],
              ['deadline_at', m.deadlineAt],
              ['answered_at', m.answeredAt],
            ],
          })),
        },
      },
      {
        section: 'notices',
        counterparty: c.operatorId,
        figures: [
          ['received', n.received],
          ['received_in_time', n.receivedInTime],
          ['received_late', n.receivedLate],
        ],
        items: {
          label: 'misses',
          nameHeading: 'miss',
          valueHeading: 'notification_id',
          rows: n.misses.map((m) => ({
            name: 'received_late',
            value: m.notificationId,
            details: [
              ['type', m.type],
              ['occurred_at', m.occurredAt],
              ['due_by', m.dueBy],
              ['received_at', m.receivedAt],
              ['delay_seconds', m.delaySeconds],
            ],
          })),
        },
      },
    ] satisfies ReportSection[];
  });
  const t = report.transitions;
  return [
    ...perOperator,
    {
      section: 'transitions',
      counterparty: '',
      figures: [
        ['suspended', t.suspended],
        ['deauthorized', t.deauthorized],
      ],
      items: {
        label: 'by_cause',
        nameHeading: 'to_state',
        valueHeading: 'count',
        rows: t.byCause.map((b) => ({
          name: b.toState,
          value: b.count,
          details: [['cause', b.cause]],
        })),
      },
    },
  ];
}
