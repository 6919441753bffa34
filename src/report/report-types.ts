/**
 * The compliance report: for a time range, what each counterparty
 * of this node was owed under the rules and whether it got it in time.
 *
 * Glossary:
 * - **range**: `[from, to)`, on the request's receipt time (operator) or
 *   first send time (messenger), and on the notice's occurred time.
 * - **as of**: the time the report was made; "still pending past the
 *   deadline" and "unacknowledged past due" are judged at this time.
 * - **in time**: an identification answered at or before its 20-minute
 *   deadline (R3), a notice acknowledged or received at or before its
 *   24-hour `dueBy` (R7).
 * - **miss**: anything not in time, listed with its ids so each one can be
 *   looked up (R10, R12).
 *
 * Ids and times only: no phone number, no identification code (R11).
 */
export type ReportNodeKind = 'operator' | 'messenger';
export type ReportFormat = 'json' | 'csv' | 'html';

export const REPORT_NODE_KINDS: readonly ReportNodeKind[] = ['operator', 'messenger'];
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'html'];

export interface ReportRange {
  from: Date;
  to: Date;
}

/** Seconds from receipt (or send) to answer, over answered requests; null when none. */
export interface AnswerSeconds {
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface OperatorIdentificationMiss {
  kind: 'answered_late' | 'pending_past_deadline';
  requestId: string;
  receivedAt: string;
  answerBy: string;
  answeredAt: string | null;
  answerSeconds: number | null;
  decidedBy: string | null;
}

export interface OperatorNoticeMiss {
  kind: 'acknowledged_late' | 'unacknowledged_past_due';
  outboxId: string;
  notificationId: string;
  type: string;
  occurredAt: string;
  dueBy: string;
  acknowledgedAt: string | null;
  attempts: number;
}

/** What one messenger got from this operator in the range. */
export interface OperatorCounterparty {
  messengerId: string;
  identification: {
    requests: number;
    answeredInTime: number;
    /** answeredInTime / requests × 100, two decimals; null without requests. */
    answeredInTimePercent: number | null;
    answeredLate: number;
    pendingPastDeadline: number;
    answerSeconds: AnswerSeconds;
    misses: OperatorIdentificationMiss[];
  };
  notices: {
    written: number;
    acknowledgedInTime: number;
    acknowledgedLate: number;
    unacknowledgedPastDue: number;
    /** Refused for good by the messenger (e.g. UNKNOWN_CODE): answered, not acknowledged. */
    rejected: number;
    /** Not acknowledged yet, not yet due. */
    awaiting: number;
    misses: OperatorNoticeMiss[];
  };
}

export interface OperatorReport {
  node: 'operator';
  from: string;
  to: string;
  asOf: string;
  counterparties: OperatorCounterparty[];
}

export interface MessengerIdentificationMiss {
  /** missed: closed unanswered at the deadline; open: not closed yet but past it. */
  kind: 'missed' | 'answered_late' | 'open_past_deadline';
  requestId: string;
  state: string;
  firstSentAt: string;
  deadlineAt: string;
  answeredAt: string | null;
}

export interface MessengerNoticeMiss {
  notificationId: string;
  type: string;
  occurredAt: string;
  dueBy: string;
  receivedAt: string;
  delaySeconds: number;
}

/** What this messenger got from one operator in the range. */
export interface MessengerCounterparty {
  operatorId: string;
  identification: {
    sent: number;
    answeredInTime: number;
    answeredInTimePercent: number | null;
    answeredLate: number;
    /** Closed by the messenger as missed (state `missed`, R4: counts as not confirmed). */
    missed: number;
    openPastDeadline: number;
    answerSeconds: AnswerSeconds;
    misses: MessengerIdentificationMiss[];
  };
  notices: {
    received: number;
    receivedInTime: number;
    receivedLate: number;
    misses: MessengerNoticeMiss[];
  };
}

export interface UserTransitionCount {
  toState: 'suspended' | 'deauthorized';
  cause: string;
  count: number;
}

export interface MessengerReport {
  node: 'messenger';
  from: string;
  to: string;
  asOf: string;
  counterparties: MessengerCounterparty[];
  /** Node-wide: transitions carry no operator id. */
  transitions: {
    suspended: number;
    deauthorized: number;
    byCause: UserTransitionCount[];
  };
}

export type ComplianceReport = OperatorReport | MessengerReport;
