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
