import { IdbridgeError } from '../core/errors.js';
import type { Queryable } from './port.js';

export type NodeKind = 'operator' | 'messenger' | 'sandbox';

/**
 * Claims the database for a node on first start and checks the claim on every
 * later start. Concurrency: the insert is idempotent (ON CONFLICT DO NOTHING),
 * so instances starting together all read the same winner.
 */
export async function claimNodeIdentity(
  db: Queryable,
  kind: NodeKind,
  participantId: string,
): Promise<void> {
  await db.query(
    `INSERT INTO node_identity (node_kind, participant_id) VALUES ($1, $2)
     ON CONFLICT (singleton) DO NOTHING`,
    [kind, participantId],
  );
  const { rows } = await db.query<{ node_kind: string; participant_id: string }>(
    'SELECT node_kind, participant_id FROM node_identity',
  );
  const owner = rows[0];
  if (!owner || owner.node_kind !== kind || owner.participant_id !== participantId) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `this database belongs to ${owner?.node_kind ?? '?'} "${owner?.participant_id ?? '?'}", not ${kind} "${participantId}"; check database.url / database.dataDir`,
    );
  }
}

/** What a database already holds: the node that claimed it, and the migration sets applied. */
export async function readDatabaseOwner(
  db: Queryable,
): Promise<{ claimedBy: { kind: string; participantId: string } | null; sets: string[] }> {
  const { rows: tables } = await db.query<{ identity: string | null; migrations: string | null }>(
    "SELECT to_regclass('node_identity')::text AS identity, to_regclass('idbridge_migrations')::text AS migrations",
  );
  let claimedBy: { kind: string; participantId: string } | null = null;
  if (tables[0]?.identity) {
    const { rows } = await db.query<{ node_kind: string; participant_id: string }>(
      'SELECT node_kind, participant_id FROM node_identity',
    );
    if (rows[0]) claimedBy = { kind: rows[0].node_kind, participantId: rows[0].participant_id };
  }
  let sets: string[] = [];
  if (tables[0]?.migrations) {
    const { rows } = await db.query<{ set_name: string }>(
      'SELECT DISTINCT set_name FROM idbridge_migrations ORDER BY set_name',
    );
    sets = rows.map((r) => r.set_name);
  }
  return { claimedBy, sets };
}
