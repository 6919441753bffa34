import { afterEach, beforeEach, expect, it } from 'vitest';
import { readConsoleDashboard } from '../../src/console/console-dashboard.js';
import { searchConsole } from '../../src/console/console-search.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { MESSENGER_MIGRATION_SETS } from '../../src/messenger/start-messenger-node.js';
import { OPERATOR_MIGRATION_SETS } from '../../src/operator/start-operator-node.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const CODE_A = 'codeAAAAAAAAAAAAAAAA';
const CODE_B = 'codeBBBBBBBBBBBBBBBB';

async function request(
  db: Database,
  input: { code: string; receivedAgoMs: number; tookMs: number | null; state: string; by?: string },
) {
  const received = ago(input.receivedAgoMs);
  await db.query(
    `INSERT INTO identification_requests (messenger_id, request_id, msisdn_hash, code, purpose,
       received_at, answer_by, state, answered_at, decided_by)
     VALUES ('tamtam', gen_random_uuid(), 'h', $1, 'registration', $2, $3, $4, $5, $6)`,
    [
      input.code,
      received,
      new Date(received.getTime() + 20 * MIN),
      input.state,
      input.tookMs === null ? null : new Date(received.getTime() + input.tookMs),
      input.tookMs === null ? null : (input.by ?? 'fast'),
    ],
  );
}

async function notice(
  db: Database,
  input: { code: string; occurredAgoMs: number; deliveredAfterMs: number | null },
) {
  const occurred = ago(input.occurredAgoMs);
  await db.query(
    `INSERT INTO outbox (id, kind, partner_id, dedupe_key, payload, state, created_at, due_by,
       event_at, next_attempt_at, delivered_at)
     VALUES (gen_random_uuid(), 'notice', 'tamtam', $1, $2, $3, $4, $5, $4, $4, $6)`,
    [
      `${input.code}:${input.occurredAgoMs}`,
      JSON.stringify({ type: 'contract_terminated', identificationCode: input.code }),
      input.deliveredAfterMs === null ? 'pending' : 'delivered',
      occurred,
      new Date(occurred.getTime() + 24 * HOUR),
      input.deliveredAfterMs === null
        ? null
        : new Date(occurred.getTime() + input.deliveredAfterMs),
    ],
  );
}

describeEachDriver('console dashboards and search', (kind) => {
  let operatorDb: Database;
  let messengerDb: Database;

  beforeEach(async () => {
    operatorDb = await createTestDatabase(kind);
    messengerDb = await createTestDatabase(kind);
    await migrate(operatorDb, OPERATOR_MIGRATION_SETS);
    await migrate(messengerDb, MESSENGER_MIGRATION_SETS);
  });
  afterEach(async () => {
    await operatorDb.close();
    await messengerDb.close();
  });

  const nodes = () => ({
    operators: [{ id: 'mts', name: 'MTS', db: operatorDb }],
    messenger: { id: 'tamtam', db: messengerDb },
  });

  it('buckets answers by minute and by answer time, and lists R3 misses past the 20-minute line', async () => {
    await request(operatorDb, {
      code: CODE_A,
      receivedAgoMs: 5 * MIN,
      tookMs: 200,
      state: 'confirmed',
    });
    await request(operatorDb, {
      code: CODE_B,
      receivedAgoMs: 5 * MIN,
      tookMs: 30_000,
      state: 'not_confirmed',
      by: 'checker',
    });
    await request(operatorDb, {
      code: 'codeCCCCCCCCCCCCCCCC',
      receivedAgoMs: 50 * MIN,
      tookMs: 21 * MIN,
      state: 'not_confirmed',
      by: 'sweeper',
    });
    await request(operatorDb, {
      code: 'codeDDDDDDDDDDDDDDDD',
      receivedAgoMs: 25 * MIN,
      tookMs: null,
      state: 'pending',
    });

    const d = await readConsoleDashboard(nodes(), NOW);
    const mts = d.operators[0];
    // <1s, <10s, <1m, <5m, <10m, <20m, ≥20m
    expect(mts?.answerTimes).toEqual([1, 0, 1, 0, 0, 0, 1]);
    const total = mts?.answersOverTime.reduce((n, b) => n + b.confirmed + b.notConfirmed, 0);
    expect(total).toBe(3);
    expect(mts?.answersOverTime.every((b) => b.at % MIN === 0)).toBe(true);
    expect(mts?.requestMisses.map((r) => r.code).sort()).toEqual([
      'codeCCCCCCCCCCCCCCCC',
      'codeDDDDDDDDDDDDDDDD',
    ]);
  });

  it('counts the notice backlog and the delay from event to acknowledgement against 24 hours', async () => {
    await notice(operatorDb, { code: CODE_A, occurredAgoMs: 2 * HOUR, deliveredAfterMs: 30_000 });
    await notice(operatorDb, {
      code: CODE_B,
      occurredAgoMs: 30 * HOUR,
      deliveredAfterMs: 25 * HOUR,
    });
    await notice(operatorDb, {
      code: 'codeEEEEEEEEEEEEEEEE',
      occurredAgoMs: 26 * HOUR,
      deliveredAfterMs: null,
    });
    await notice(operatorDb, {
      code: 'codeFFFFFFFFFFFFFFFF',
      occurredAgoMs: HOUR,
      deliveredAfterMs: null,
    });

    const mts = (await readConsoleDashboard(nodes(), NOW)).operators[0];
    expect(mts?.noticeBacklog).toMatchObject({ pending: 2, overdue: 1, delivered: 2 });
    expect(mts?.noticeBacklog.oldestPendingAgeMs).toBe(26 * HOUR);
    // <1m, <10m, <1h, <6h, <24h, ≥24h
    expect(mts?.noticeDelays).toEqual([1, 0, 0, 0, 0, 1]);
    expect(mts?.noticeMisses.map((n) => n.code).sort()).toEqual([CODE_B, 'codeEEEEEEEEEEEEEEEE']);
    expect(mts?.partners).toEqual([
      expect.objectContaining({ partnerId: 'tamtam', pending: 2, delivered: 2, circuit: 'closed' }),
    ]);
  });

  it('counts users by state and never returns a number unmasked, in the dashboard or in search', async () => {
    await messengerDb.query(
      `INSERT INTO users (user_id, msisdn, state, identification_code, operator_id, created_at, updated_at)
       VALUES (gen_random_uuid(), '+79161234567', 'identified', $1, 'mts', $2, $2),
              (gen_random_uuid(), '+79261234567', 'suspended', NULL, 'megafon', $2, $2)`,
      [CODE_A, NOW],
    );
    const d = await readConsoleDashboard(nodes(), NOW);
    expect(d.messenger?.usersByState).toEqual({ identified: 1, suspended: 1 });
    expect(JSON.stringify(d)).not.toContain('1234567');
    expect(d.messenger?.users.map((u) => u.msisdn).sort()).toEqual([
      '+7916*****67',
      '+7926*****67',
    ]);

    const byNumber = await searchConsole(nodes(), '8 (916) 123-45-67');
    expect(byNumber.kind).toBe('number');
    expect(byNumber.query).toBe('+7916*****67');
    expect(JSON.stringify(byNumber)).not.toContain('1234567');
    expect(byNumber.results).toEqual([
      expect.objectContaining({
        node: 'tamtam',
        users: [expect.objectContaining({ state: 'identified' })],
      }),
    ]);

    await request(operatorDb, {
      code: CODE_A,
      receivedAgoMs: MIN,
      tookMs: 100,
      state: 'confirmed',
    });
    const byCode = await searchConsole(nodes(), CODE_A);
    expect(byCode.results.map((r) => r.node)).toEqual(['mts', 'tamtam']);
    expect((await searchConsole(nodes(), 'hello')).kind).toBe('none');
  });
});
