import { maskPhoneNumbers } from '../core/mask-phone-numbers.js';
import type { OutboxStatusLine } from './outbox-ops-store.js';
import type { OutboxRow } from './outbox-types.js';

/** Plain-text tables for `idbridge outbox status|inspect` (operators of the software). */

export function renderTable(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `3h 5m`, `42s`; negative spans read as `in …`. */
export function formatSpan(fromMs: number, toMs: number): string {
  const ms = toMs - fromMs;
  const abs = Math.abs(ms);
  const s = Math.floor(abs / 1000);
  const text =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m ${s % 60}s`
        : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

const when = (at: Date | null, now: Date): string =>
  at ? `${at.toISOString()} (${formatSpan(at.getTime(), now.getTime())})` : '-';

export function formatOutboxStatus(lines: readonly OutboxStatusLine[], now: Date): string {
  if (lines.length === 0) return 'outbox empty: nothing waiting for delivery';
  return renderTable(
    [
      'PARTNER',
      'KIND',
      'PENDING',
      'DUE',
      'FAILING',
      'IN FLIGHT',
      'REJECTED',
      'OLDEST DUE',
      'NEAREST DEADLINE',
      'NEXT ATTEMPT',
    ],
    lines.map((l) => [
      l.partnerId,
      l.kind,
      String(l.pending),
      String(l.due),
      String(l.failing),
      String(l.inFlight),
      String(l.rejected),
      when(l.oldestDueAt, now),
      when(l.earliestDueBy, now),
      when(l.nextAttemptAt, now),
    ]),
  );
}

export function formatOutboxRows(rows: readonly OutboxRow[], now: Date): string {
  if (rows.length === 0) return 'no matching outbox items';
  const table = renderTable(
    ['ID', 'KIND', 'PARTNER', 'STATE', 'ATTEMPTS', 'NEXT ATTEMPT', 'DUE BY', 'LAST ERROR'],
    rows.map((r) => [
      r.id,
      r.kind,
      r.partnerId,
      r.state,
      String(r.attempts),
      r.state === 'pending' ? when(r.nextAttemptAt, now) : '-',
      r.dueBy ? r.dueBy.toISOString() : '-',
      maskPhoneNumbers((r.lastError ?? '-').replace(/\s+/g, ' ').slice(0, 80)),
    ]),
  );
  const payloads = rows
    .filter((r) => r.payload !== undefined)
    .map((r) => `${r.id}  ${maskPhoneNumbers(JSON.stringify(r.payload))}`);
  return payloads.length === 0 ? table : `${table}\n\npayloads:\n${payloads.join('\n')}`;
}
