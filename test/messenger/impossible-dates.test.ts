import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.js';
import { createPartnerClient, type PartnerClient } from '../../src/protocol/http/partner-client.js';
import { NOTIFICATIONS_ANSWERS } from '../../src/protocol/schemas/index.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';
import { runCli } from '../helpers/run-cli.js';

// R9, I1: a date that names no real day never reaches a decision (issue 23 item 1).
const IMPOSSIBLE_INSTANTS = [
  '2026-02-30T09:00:00Z',
  '2026-11-28T24:00:00Z',
  '2026-11-28T09:00:00+03:60',
];

describe('the messenger refuses dates that do not exist', () => {
  let n: IdentificationNetwork;
  let asOperator: PartnerClient;

  beforeAll(async () => {
    n = await startIdentificationNetwork('pglite');
    asOperator = createPartnerClient({
      signer: n.net.signers.mts!,
      resolveKey: n.net.credentials('mts').resolveKey,
      clock: n.clock,
      retries: 0,
    });
  });
  afterAll(() => n.close());

  const notice = (occurredAt: string, dueBy: string) => ({
    notificationId: randomUUID(),
    type: 'contract_terminated',
    identificationCode: 'dates-unknown-code-0001',
    occurredAt,
    dueBy,
  });

  it.each(IMPOSSIBLE_INSTANTS)(
    'a notice with occurredAt or dueBy %s is 400 and records nothing',
    async (bad) => {
      const before = await n.messenger.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM received_notices',
      );
      const good = n.clock.now().toISOString();
      for (const body of [notice(bad, good), notice(good, bad)]) {
        const res = await asOperator.send({
          participantId: 'tamtam',
          baseUrl: n.net.baseUrl('tamtam'),
          method: 'POST',
          path: '/v1/notifications',
          answers: NOTIFICATIONS_ANSWERS,
          body: { notifications: [body] },
        });
        expect(res.status).toBe(400);
        expect(res.ok ? undefined : res.error?.code).toBe('INVALID_ARGUMENT');
      }
      const after = await n.messenger.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM received_notices',
      );
      expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    },
  );

  it('the legacy-user import rejects a userSince that names no real day, by line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-legacy-dates-'));
    const config = join(dir, 'messenger.json');
    await writeFile(config, JSON.stringify({ database: { dataDir: join(dir, 'db') } }));
    const file = join(dir, 'users.csv');
    await writeFile(
      file,
      [
        'userRef,number,userSince',
        'u-1,+79161234567,2020-01-10',
        'u-2,+79161234568,2020-00-10',
        'u-3,+79161234569,2020-02-30',
        'u-4,+79161234570,2020-01-10x',
        'u-5,+79161234571,2020-01-10T25:00:00Z',
        'u-6,+79161234572,2020-02-29T23:00:00+03:00',
        '',
      ].join('\n'),
    );
    expect((await runCli(dir, ['migrate', '--node', 'messenger', '-c', config])).code).toBe(0);
    const { code, stdout, stderr } = await runCli(dir, [
      'messenger',
      'import-users',
      file,
      '-c',
      config,
      '--no-progress',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/imported 2 legacy users, rejected 4\b/);
    const db = await openDatabase({ dataDir: join(dir, 'db'), schema: 'public' });
    try {
      const rejects = await db.query<{ user_ref: string; line_no: string; reason: string }>(
        'SELECT user_ref, line_no::text, reason FROM legacy_import_rejects ORDER BY line_no',
      );
      expect(rejects.rows).toEqual(
        ['u-2', 'u-3', 'u-4', 'u-5'].map((ref, i) => ({
          user_ref: ref,
          line_no: String(i + 3),
          reason: 'INVALID_RECORD',
        })),
      );
      const users = await db.query<{ since: string }>(
        "SELECT to_char(legacy_user_since, 'YYYY-MM-DD') AS since FROM users ORDER BY since",
      );
      expect(users.rows.map((r) => r.since)).toEqual(['2020-01-10', '2020-02-29']);
    } finally {
      await db.close();
    }
  }, 120_000);
});
