import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { importLegacyUsers } from '../../src/messenger/legacy/index.js';
import { MESSENGER_MIGRATION_SETS } from '../../src/messenger/start-messenger-node.js';
import { insertUser } from '../../src/messenger/users/user-store.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

describeEachDriver('legacy user import (R9)', (kind) => {
  let db: Database;
  let dir: string;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  const base = () => ({ db, clock, ids: newId, log: createSilentLogger() });

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, MESSENGER_MIGRATION_SETS);
    dir = await mkdtemp(join(tmpdir(), 'idbridge-legacy-import-'));
  });
  afterEach(async () => {
    await db.close();
  });

  async function count(sql: string): Promise<number> {
    const { rows } = await db.query<{ n: string }>(sql);
    return Number(rows[0]?.n);
  }

  it('imports users in state legacy with normalized numbers and records every rejected line with its reason', async () => {
    await insertUser(db, newId, {
      msisdn: '+79160000009',
      state: 'identified',
      cause: 'test',
      at: clock.now(),
    });
    const file = join(dir, 'users.csv');
    await writeFile(
      file,
      [
        'userRef,number,userSince',
        'a,"8 (916) 000-00-01",2017-03-01',
        'b,+7 926 000 00 02,2019-12-31T10:00:00Z',
        'c,12345,2017-03-01',
        'a,+79160000003,2017-03-01',
        'd,9160000001,2017-03-01',
        'e,+79160000009,2017-03-01',
        'f,+79160000004,not-a-date',
        '',
        'g,+79160000005,2017-03-01',
      ].join('\n'),
    );
    const result = await importLegacyUsers({ ...base(), file });
    expect(result).toMatchObject({ outcome: 'finished', imported: 3, rejected: 5 });
    expect(result.rejectedBy).toEqual({
      INVALID_NUMBER: 1,
      DUPLICATE_USER_REF: 1,
      NUMBER_TAKEN: 2,
      INVALID_RECORD: 1,
    });
    const { rows } = await db.query<{
      user_ref: string;
      msisdn: string;
      state: string;
      since: string;
    }>(
      `SELECT l.user_ref, u.msisdn, u.state, to_char(u.legacy_user_since, 'YYYY-MM-DD') AS since
       FROM legacy_users l JOIN users u USING (user_id) ORDER BY l.user_ref`,
    );
    expect(rows).toEqual([
      { user_ref: 'a', msisdn: '+79160000001', state: 'legacy', since: '2017-03-01' },
      { user_ref: 'b', msisdn: '+79260000002', state: 'legacy', since: '2019-12-31' },
      { user_ref: 'g', msisdn: '+79160000005', state: 'legacy', since: '2017-03-01' },
    ]);
    const { rows: rejects } = await db.query<{ line_no: string; reason: string }>(
      'SELECT line_no, reason FROM legacy_import_rejects ORDER BY line_no',
    );
    expect(rejects.map((r) => [Number(r.line_no), r.reason])).toEqual([
      [4, 'INVALID_NUMBER'],
      [5, 'DUPLICATE_USER_REF'],
      [6, 'NUMBER_TAKEN'],
      [7, 'NUMBER_TAKEN'],
      [8, 'INVALID_RECORD'],
    ]);
    expect(
      await count(`SELECT count(*) AS n FROM user_transitions WHERE to_state = 'legacy'`),
    ).toBe(3);
    // The same file again is a no-op.
    const again = await importLegacyUsers({ ...base(), file });
    expect(again).toMatchObject({ outcome: 'already_imported', imported: 3 });
    expect(await count('SELECT count(*) AS n FROM legacy_users')).toBe(3);
  });

  it('resumes an interrupted import after the last committed chunk without importing a line twice', async () => {
    const file = join(dir, 'users.ndjson');
    const lines = Array.from({ length: 1_000 }, (_, i) =>
      JSON.stringify({
        userRef: `r-${i}`,
        number: i % 100 === 7 ? 'nope' : `+7916${String(i).padStart(7, '0')}`,
        userSince: '2018-01-01',
      }),
    );
    await writeFile(file, `${lines.join('\n')}\n`);
    const stop = new AbortController();
    let chunks = 0;
    await expect(
      importLegacyUsers({
        ...base(),
        file,
        chunkLines: 100,
        signal: stop.signal,
        onProgress: () => {
          chunks += 1;
          if (chunks === 3) stop.abort(new Error('Ctrl-C'));
        },
      }),
    ).rejects.toThrow('Ctrl-C');
    expect(await count('SELECT count(*) AS n FROM legacy_users')).toBe(297);

    const resumed = await importLegacyUsers({ ...base(), file, chunkLines: 100 });
    expect(resumed).toMatchObject({
      outcome: 'finished',
      resumedAfterLine: 300,
      imported: 990,
      rejected: 10,
    });
    expect(resumed.rejectedBy).toEqual({ INVALID_NUMBER: 10 });
    expect(await count('SELECT count(*) AS n FROM legacy_users')).toBe(990);
    expect(await count(`SELECT count(*) AS n FROM users WHERE state = 'legacy'`)).toBe(990);
  });

  it('imports a file again from the first line with restart, counting its rejects once', async () => {
    const file = join(dir, 'users.csv');
    await writeFile(
      file,
      'userRef,number,userSince\nx,+79160000001,2017-01-01\ny,bad,2017-01-01\n',
    );
    await importLegacyUsers({ ...base(), file });
    const again = await importLegacyUsers({ ...base(), file, restart: true });
    // x is already imported: its line is now a duplicate; y is invalid again.
    expect(again).toMatchObject({ outcome: 'finished', imported: 0, rejected: 2 });
    expect(await count('SELECT count(*) AS n FROM legacy_import_rejects')).toBe(2);
    expect(await count('SELECT count(*) AS n FROM legacy_users')).toBe(1);
  });
});
