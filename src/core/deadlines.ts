import { HOUR_MS, MINUTE_MS } from './clock.js';

/**
 * The two deadlines of the rules, stated once; everything else (due dates,
 * metric buckets and help texts, the console's delays, the report's
 * wording) is derived from these.
 */

/** R3: an operator answers an identification request within 20 minutes of receipt. */
export const ANSWER_WINDOW_MS = 20 * MINUTE_MS;
export const ANSWER_WINDOW_SECONDS = ANSWER_WINDOW_MS / 1000;

/** R7: every messenger in the register is notified within 24 hours of the contract's end. */
export const NOTICE_DEADLINE_MS = 24 * HOUR_MS;
export const NOTICE_DEADLINE_SECONDS = NOTICE_DEADLINE_MS / 1000;

/**
 * Histogram buckets (s) for answer times: milliseconds for the fast path,
 * minutes for the slow path, and the 20-minute line with one bucket each side.
 */
export const ANSWER_TIME_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  10,
  60,
  300,
  600,
  900,
  ANSWER_WINDOW_SECONDS - 60,
  ANSWER_WINDOW_SECONDS,
  ANSWER_WINDOW_SECONDS * 1.5,
];

/** Histogram buckets (s) for notice delays: hours up to the 24-hour line and past it. */
export const NOTICE_DELAY_BUCKETS = [
  1,
  10,
  60,
  600,
  3600,
  NOTICE_DEADLINE_SECONDS / 4,
  NOTICE_DEADLINE_SECONDS / 2,
  (NOTICE_DEADLINE_SECONDS * 5) / 6,
  NOTICE_DEADLINE_SECONDS,
  NOTICE_DEADLINE_SECONDS * 2,
];

/** When a notice of an event at `occurredAt` is due (R7). */
export function noticeDueBy(occurredAt: Date): Date {
  return new Date(occurredAt.getTime() + NOTICE_DEADLINE_MS);
}

/** When an answer to a request received at `receivedAt` is due (R3). */
export function answerDueBy(receivedAt: Date): Date {
  return new Date(receivedAt.getTime() + ANSWER_WINDOW_MS);
}

/** "20 minutes", "24 hours": a deadline as the report and help texts say it. */
export function describeDeadline(ms: number): string {
  return ms % HOUR_MS === 0 ? `${ms / HOUR_MS} hours` : `${ms / MINUTE_MS} minutes`;
}
