import type { Database } from '../db/port.js';
import { readMessengerReport } from './messenger-report-store.js';
import { readOperatorReport } from './operator-report-store.js';
import type { ComplianceReport, ReportNodeKind, ReportRange } from './report-types.js';

/**
 * Builds the report of one node kind from one consistent snapshot: a
 * read-only REPEATABLE READ transaction, so a request answered while the
 * report runs is counted and listed the same way everywhere. Writes nothing.
 */
export async function buildReport(
  db: Database,
  kind: ReportNodeKind,
  range: ReportRange,
  asOf: Date,
): Promise<ComplianceReport> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return kind === 'operator'
      ? readOperatorReport(tx, range, asOf)
      : readMessengerReport(tx, range, asOf);
  });
}

/**
 * The kind of node this database was claimed by on first start
 * (`node_identity`), or null when no node has claimed it yet.
 */
export async function readClaimedNodeKind(db: Database): Promise<string | null> {
  const { rows } = await db.query<{ node_kind: string }>('SELECT node_kind FROM node_identity');
  return rows[0]?.node_kind ?? null;
}
