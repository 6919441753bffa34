import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  AUDIT_PARTITIONS,
  type AuditEntry,
  appendAuditEntry,
  exportAuditLog,
  verifyAuditEntries,
  verifyAuditLog,
} from '../../src/audit/index.js';
import { createManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createNumberHasher } from '../../src/core/number-hash.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { decideIdentification } from '../../src/operator/identification/decide-identification.js';
import { closeEntryByCode } from '../../src/operator/register/register-store.js';
import { applySubscriberEvents } from '../../src/operator/subscribers/apply-subscriber-events.js';
import { claimDueBatch, markDelivered } from '../../src/outbox/index.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

const MSISDN = '+79160000001';
const hashNumber = createNumberHasher('audit-test-key-0123456789');

interface Row {
  id: string;
  partition: number;
  seq: string | number;
}

async function entries(db: Database): Promise<Row[]> {
  const { rows } = await db.query<Row>(
    'SELECT id::text AS id, partition, seq FROM audit_entries ORDER BY partition, seq',
  );
  return rows;
}

/** Appends `n` entries in one transaction: one chain (txid % 16). */
async function appendMany(db: Database, n: number, at: Date): Promise<void> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      await appendAuditEntry(tx, {
        kind: 'test.entry',
        subject: `test:${i}`,
        at,
        data: { i, nested: { b: 2, a: [1, 'x'] } },
      });
    }
  });
}

describeEachDriver('audit log', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'operator']);
  });
  afterEach(async () => {
    await db.close();
  });

  it('records a decision, a withdrawal, notices and their delivery, and the chain verifies', async () => {
    await applySubscriberEvents(
      db,
      [
        {
          type: 'contract_started',
          eventId: newId(),
          msisdn: MSISDN,
          contractId: 'c-1',
          occurredAt: '2020-01-01T00:00:00Z',
          subscriberType: 'individual',
          hasSubscriberData: true,
        },
      ],
      { clock },
    );
    const code = 'code-aaaaaaaaaaaaaaaa';
    const requestId = newId();
    const decision = await db.transaction((tx) =>
      decideIdentification(
        tx,
        { ids: newId, hashNumber, slowPathEnabled: false },
        {
          messengerId: 'tamtam',
          request: {
            requestId,
            msisdn: MSISDN,
            identificationCode: code,
            purpose: 'registration',
            possessionVerifiedAt: clock.now().toISOString(),
          },
          receivedAt: clock.now(),
        },
      ),
    );
    expect(decision.answer.result).toBe('confirmed');
    const { rows } = await db.query<{
      kind: string;
      subject: string;
      data: Record<string, unknown>;
    }>('SELECT kind, subject, data FROM audit_entries');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'identification.decided',
      subject: `request:tamtam:${requestId}`,
      data: { result: 'confirmed', code, msisdnHash: hashNumber(MSISDN) },
    });
    // R11: the number never appears in clear.
    expect(JSON.stringify(rows)).not.toContain('9160000001');

    // The contract ends: its register entry closes with a notice (R7)…
    clock.advance(60_000);
    await applySubscriberEvents(
      db,
      [
        {
          type: 'contract_terminated',
          eventId: newId(),
          msisdn: MSISDN,
          contractId: 'c-1',
          occurredAt: clock.now().toISOString(),
        },
      ],
      { clock, ids: newId },
    );
    // …and the notice is delivered.
    const batch = await claimDueBatch(db, { workerId: 'w', leaseMs: 60_000, now: clock.now() });
    expect(batch).not.toBeNull();
    const written = await db.query<{ data: unknown }>(
      "SELECT data FROM audit_entries WHERE kind = 'notice.written'",
    );
    expect(written.rows[0]?.data).toMatchObject({
      changes: { type: ['contract_terminated'], contractId: ['c-1'] },
      notices: {
        messengerId: ['tamtam'],
        code: [code],
        notificationId: [
          (batch?.items[0]?.payload as { notificationId?: string } | undefined)?.notificationId,
        ],
      },
    });
    await markDelivered(db, batch?.items.map((i) => i.id) ?? [], 'w', clock.now());
    // A withdrawal of a closed code changes nothing and records nothing.
    expect(
      await db.transaction((tx) => closeEntryByCode(tx, 'tamtam', code, 'withdrawn', clock.now())),
    ).toBe(false);

    const kinds = (
      await db.query<{ kind: string }>('SELECT kind FROM audit_entries ORDER BY at, kind')
    ).rows;
    expect(kinds.map((k) => k.kind)).toEqual([
      'identification.decided',
      'notice.written',
      'outbox.delivered',
    ]);
    const result = await verifyAuditLog(db);
    expect(result).toMatchObject({ ok: true, entries: 3, breaks: [] });
  });

  it('records a withdrawal of an open entry', async () => {
    await applySubscriberEvents(
      db,
      [
        {
          type: 'contract_started',
          eventId: newId(),
          msisdn: MSISDN,
          contractId: 'c-1',
          occurredAt: '2020-01-01T00:00:00Z',
          subscriberType: 'individual',
          hasSubscriberData: true,
        },
      ],
      { clock },
    );
    const code = 'code-bbbbbbbbbbbbbbbb';
    await db.transaction((tx) =>
      decideIdentification(
        tx,
        { ids: newId, hashNumber, slowPathEnabled: false },
        {
          messengerId: 'tamtam',
          request: {
            requestId: newId(),
            msisdn: MSISDN,
            identificationCode: code,
            purpose: 'registration',
            possessionVerifiedAt: clock.now().toISOString(),
          },
          receivedAt: clock.now(),
        },
      ),
    );
    expect(
      await db.transaction((tx) => closeEntryByCode(tx, 'tamtam', code, 'withdrawn', clock.now())),
    ).toBe(true);
    const { rows } = await db.query<{ kind: string; data: unknown }>(
      `SELECT kind, data FROM audit_entries WHERE kind = 'register.closed'`,
    );
    expect(rows).toEqual([
      { kind: 'register.closed', data: { messengerId: 'tamtam', code, reason: 'withdrawn' } },
    ]);
    expect((await verifyAuditLog(db)).ok).toBe(true);
  });

  it('hashes in the database exactly as the verifier does, for text beyond ASCII and escapes', async () => {
    // The append hashes in SQL (convert_to UTF8); verify recomputes in Node.
    await db.transaction(async (tx) => {
      await appendAuditEntry(tx, {
        kind: 'test.entry',
        subject: 'batch:"tamtam":ü\n',
        at: clock.now(),
        data: { a: 'кириллица "quoted" \\ \u2028 😀', n: -0.5, z: [null, true, { b: 1, a: 2 }] },
      });
    });
    const { rows } = await db.query<{ subject: string }>('SELECT subject FROM audit_entries');
    expect(rows).toEqual([{ subject: 'batch:"tamtam":ü\n' }]);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true, entries: 1 });
  });

  it('leaves no entry when the transaction rolls back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await appendAuditEntry(tx, { kind: 'test.entry', subject: 's', at: clock.now(), data: {} });
        throw new Error('decision failed');
      }),
    ).rejects.toThrow('decision failed');
    expect(await entries(db)).toHaveLength(0);
    const { rows } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM audit_heads WHERE seq <> 0',
    );
    expect(Number(rows[0]?.n)).toBe(0);
    expect((await verifyAuditLog(db)).ok).toBe(true);
  });

  it('names an edited entry', async () => {
    await appendMany(db, 5, clock.now());
    const third = (await entries(db))[2] as Row;
    await db.query(`UPDATE audit_entries SET data = '{"i": 99}' WHERE id = $1`, [third.id]);
    const result = await verifyAuditLog(db);
    expect(result.ok).toBe(false);
    expect(result.breaks).toEqual([
      expect.objectContaining({
        partition: third.partition,
        seq: 3,
        id: third.id,
        reason: expect.stringMatching(/hash/),
      }),
    ]);
  });

  it('names an entry whose time was edited', async () => {
    await appendMany(db, 3, clock.now());
    const first = (await entries(db))[0] as Row;
    await db.query(`UPDATE audit_entries SET at = at + interval '1 second' WHERE id = $1`, [
      first.id,
    ]);
    const result = await verifyAuditLog(db);
    expect(result.breaks.map((b) => [b.seq, b.id])).toEqual([[1, first.id]]);
  });

  it('names the entry after a deleted one', async () => {
    await appendMany(db, 5, clock.now());
    const rows = await entries(db);
    await db.query('DELETE FROM audit_entries WHERE id = $1', [rows[1]?.id]);
    const result = await verifyAuditLog(db);
    expect(result.breaks).toEqual([
      expect.objectContaining({
        seq: 3,
        id: rows[2]?.id,
        reason: expect.stringMatching(/2\.\.2 are missing/),
      }),
    ]);
  });

  it('names a reordered entry (seqs swapped)', async () => {
    await appendMany(db, 5, clock.now());
    const rows = await entries(db);
    const [a, b] = [rows[1] as Row, rows[2] as Row];
    await db.transaction(async (tx) => {
      await tx.query('UPDATE audit_entries SET seq = -1 WHERE id = $1', [a.id]);
      await tx.query('UPDATE audit_entries SET seq = 2 WHERE id = $1', [b.id]);
      await tx.query('UPDATE audit_entries SET seq = 3 WHERE id = $1', [a.id]);
    });
    const result = await verifyAuditLog(db);
    expect(result.breaks).toEqual([expect.objectContaining({ seq: 2, id: b.id })]);
  });

  it('names the missing tail when the last entries are deleted', async () => {
    await appendMany(db, 5, clock.now());
    const rows = await entries(db);
    await db.query('DELETE FROM audit_entries WHERE id = ANY($1::uuid[])', [
      [rows[3]?.id, rows[4]?.id],
    ]);
    const result = await verifyAuditLog(db);
    expect(result.breaks).toEqual([
      expect.objectContaining({
        seq: 4,
        id: null,
        reason: expect.stringMatching(/4\.\.5 are missing/),
      }),
    ]);
  });

  it('exports a time range that an auditor can re-verify, and detects an edited export', async () => {
    await appendMany(db, 3, new Date('2026-11-28T08:00:00Z'));
    await appendMany(db, 4, new Date('2026-11-28T10:00:00Z'));
    await appendMany(db, 2, new Date('2026-11-28T12:00:00Z'));
    const lines: string[] = [];
    const count = await exportAuditLog(
      db,
      { from: new Date('2026-11-28T09:00:00Z'), to: new Date('2026-11-28T11:00:00Z') },
      (line) => {
        lines.push(line);
      },
    );
    expect(count).toBe(4);
    const exported = lines.map((l) => JSON.parse(l) as AuditEntry);
    expect(exported.every((e) => e.at === '2026-11-28T10:00:00.000Z')).toBe(true);
    expect(verifyAuditEntries(exported)).toMatchObject({ ok: true, entries: 4 });
    const edited = exported.map((e, n) => (n === 1 ? { ...e, subject: 'forged' } : e));
    expect(verifyAuditEntries(edited).breaks).toEqual([
      expect.objectContaining({ id: exported[1]?.id }),
    ]);
  });

  if (kind === 'postgres') {
    it('keeps every chain valid under concurrent appends', async () => {
      const writers = Array.from({ length: 12 }, (_, w) =>
        (async () => {
          for (let t = 0; t < 10; t++)
            await appendMany(db, 3, new Date(Date.UTC(2026, 10, 28, w, t)));
        })(),
      );
      await Promise.all(writers);
      const result = await verifyAuditLog(db);
      expect(result).toMatchObject({ ok: true, entries: 360 });
      const used = new Set((await entries(db)).map((r) => r.partition));
      expect(used.size).toBeGreaterThan(1);
      expect([...used].every((p) => p >= 0 && p < AUDIT_PARTITIONS)).toBe(true);
    });

    it('links an append that waited for another transaction on its chain to what that one appended', async () => {
      // T1 appends twice and holds the head of its partition; T2 gets a
      // transaction id on the same partition and appends: its statement
      // waits on the head lock and, once T1 commits, must chain to T1's
      // last entry (the locked row's newest version), not the one it saw.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let t1Appended = () => {};
      const appended = new Promise<void>((resolve) => {
        t1Appended = resolve;
      });
      let partition = -1;
      const t1 = db.transaction(async (tx) => {
        const { rows } = await tx.query<{ p: number }>(
          `SELECT (txid_current() % ${AUDIT_PARTITIONS})::int AS p`,
        );
        partition = rows[0]?.p as number;
        await appendAuditEntry(tx, {
          kind: 'test.entry',
          subject: 't1:0',
          at: clock.now(),
          data: {},
        });
        await appendAuditEntry(tx, {
          kind: 'test.entry',
          subject: 't1:1',
          at: clock.now(),
          data: {},
        });
        t1Appended();
        await held;
      });
      await appended;
      let waited = false;
      const t2 = (async () => {
        for (let attempt = 0; attempt < 4 * AUDIT_PARTITIONS; attempt++) {
          const done = await db
            .transaction(async (tx) => {
              const { rows } = await tx.query<{ p: number }>(
                `SELECT (txid_current() % ${AUDIT_PARTITIONS})::int AS p`,
              );
              if (rows[0]?.p !== partition) throw new Error('another partition');
              waited = true;
              await appendAuditEntry(tx, {
                kind: 'test.entry',
                subject: 't2',
                at: clock.now(),
                data: {},
              });
              return true;
            })
            .catch((err: Error) => {
              if (err.message === 'another partition') return false;
              throw err;
            });
          if (done) return;
        }
        throw new Error('found no transaction id on the partition');
      })();
      // Give T2 time to reach the lock, then let T1 commit.
      while (!waited) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 50));
      release();
      await Promise.all([t1, t2]);
      const { rows } = await db.query<{ subject: string; seq: string }>(
        'SELECT subject, seq FROM audit_entries WHERE partition = $1 ORDER BY seq',
        [partition],
      );
      expect(rows.map((r) => [r.subject, Number(r.seq)])).toEqual([
        ['t1:0', 1],
        ['t1:1', 2],
        ['t2', 3],
      ]);
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, entries: 3 });
    });
  }
});

it('hashes the envelope written by hand exactly as the canonical JSON of the whole entry', async () => {
  const { createHash } = await import('node:crypto');
  const { canonicalJson } = await import('../../src/audit/canonical-json.js');
  const { hashCanonicalEntry } = await import('../../src/audit/audit-entry.js');
  const entry = {
    id: '01a22470-0000-7000-8000-000000000001',
    partition: 7,
    seq: 123456789012,
    at: '2026-11-28T09:00:00.000Z',
    kind: 'identification.batch_decided',
    subject: 'batch:"tamtam":ü\n',
    prevHash: 'a'.repeat(64),
  };
  const data = {
    z: [3, { b: 1, a: new Date('2026-01-01T00:00:00Z'), skip: undefined }],
    a: 'кириллица "quoted" \\ \u2028',
    n: -0.5,
  };
  // Entries appended before the hand-written envelope were hashed this way.
  const expected = createHash('sha256')
    .update(canonicalJson({ v: 1, ...entry, data }))
    .digest('hex');
  expect(hashCanonicalEntry(entry, canonicalJson(data))).toBe(expected);
});
