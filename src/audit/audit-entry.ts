import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** Chains per node; must match the rows `0004_audit_log.sql` creates. */
export const AUDIT_PARTITIONS = 16;

/** prev_hash of the first entry of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version of the canonical encoding, hashed with every entry. */
const ENCODING_VERSION = 1;

/**
 * What is audited: decisions, register changes, notices,
 * deliveries and user transitions. Free-form so a new kind needs no migration.
 */
export type AuditKind =
  | 'identification.decided'
  | 'identification.batch_decided'
  | 'identification.answered'
  | 'register.closed'
  | 'notice.written'
  | 'notice.received'
  /** The notices of one request and the suspensions they caused (messenger). */
  | 'notices.received'
  | 'outbox.delivered'
  | 'outbox.rejected'
  | 'user.transition'
  /** A set of users moved together (legacy reconciliation, R9). */
  | 'user.transitions'
  | (string & {});

/** One audit entry as stored (and as exported, one per NDJSON line). */
export interface AuditEntry {
  id: string;
  partition: number;
  seq: number;
  /** When the recorded change happened (the caller's clock). */
  at: string;
  kind: AuditKind;
  /** What the entry is about, e.g. `request:<messenger>:<requestId>`; never a phone number. */
  subject: string;
  data: unknown;
  prevHash: string;
  hash: string;
}

/** SHA-256 (hex) over the canonical encoding of everything but the hash itself. */
export function computeAuditHash(entry: Omit<AuditEntry, 'hash'>): string {
  return hashCanonicalEntry(entry, canonicalJson(entry.data ?? null));
}

/**
 * The same hash from the data's canonical JSON, already encoded: the append
 * encodes a (possibly 2 MB) batch entry once and sends that very text to the
 * database. The envelope's keys are written in sorted order by hand, so the
 * bytes equal `canonicalJson` of the whole entry (the audit tests verify
 * appended chains with `computeAuditHash`).
 */
export function hashCanonicalEntry(
  entry: Omit<AuditEntry, 'hash' | 'data'>,
  canonicalData: string,
): string {
  const t = canonicalEntryText(entry);
  const encoded =
    t.beforeData +
    canonicalData +
    t.beforePartition +
    String(entry.partition) +
    t.beforePrevHash +
    entry.prevHash +
    t.beforeSeq +
    String(entry.seq) +
    t.afterSeq;
  return createHash('sha256').update(encoded).digest('hex');
}

/**
 * The canonical encoding around the parts only the database knows when it
 * appends (data aside: partition, prevHash, seq). The envelope's keys are in
 * sorted order; prevHash is hex and partition and seq are integers, so they
 * need no escaping. The append (append-audit-entry.ts) concatenates these in
 * SQL and the verifier through hashCanonicalEntry: one encoding for both.
 */
export function canonicalEntryText(entry: Pick<AuditEntry, 'at' | 'id' | 'kind' | 'subject'>): {
  beforeData: string;
  beforePartition: string;
  beforePrevHash: string;
  beforeSeq: string;
  afterSeq: string;
} {
  const j = JSON.stringify;
  return {
    beforeData: `{"at":${j(entry.at)},"data":`,
    beforePartition: `,"id":${j(entry.id)},"kind":${j(entry.kind)},"partition":`,
    beforePrevHash: ',"prevHash":"',
    beforeSeq: '","seq":',
    afterSeq: `,"subject":${j(entry.subject)},"v":${ENCODING_VERSION}}`,
  };
}
