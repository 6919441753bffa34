import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import {
  type ImportSubscribersOptions,
  importSubscribers,
} from '../../src/operator/subscribers/import-subscribers.js';
import {
  type BulkLoader,
  createPostgresBulkLoader,
} from '../../src/operator/subscribers/postgres-bulk-loader.js';
import {
  findValidContracts,
  listContracts,
} from '../../src/operator/subscribers/subscriber-contract-store.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

const HEADER = 'msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd';

describeEachDriver('subscriber import', (kind) => {
  let db: Database;
  let dir: string;
  let bulkLoader: BulkLoader | undefined;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  const log = createSilentLogger();

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'operator']);
    dir = mkdtempSync(join(tmpdir(), 'idbridge-import-'));
    // On PostgreSQL the import loads with COPY, as the CLI does.
    bulkLoader =
      kind === 'postgres'
        ? createPostgresBulkLoader({ url: process.env.DATABASE_URL as string, schema: db.schema })
        : undefined;
  });
  afterEach(async () => {
    await bulkLoader?.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const run = (file: string, extra: Partial<ImportSubscribersOptions> = {}) =>
    importSubscribers({ db, file, clock, log, bulkLoader, ...extra });
  const count = async () =>
    Number(
      (await db.query<{ n: string }>('SELECT count(*) AS n FROM subscriber_contracts')).rows[0]?.n,
    );
  const rejectsOf = (file: string) =>
    readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n');

  it('imports a CSV file with history and reports bad rows by line number', async () => {
    const file = write('base.csv', [
      HEADER,
      '+79160000001,c-1,individual,true,2019-01-01,2022-06-01',
      '+79160000001,c-2,corporate,false,2022-06-01T00:00:00Z,',
      '79160000002,"c,3",individual,1,2021-03-04T10:00:00+03:00,',
      'not-a-number,c-4,individual,true,2020-01-01,',
      '+79160000005,c-5,person,true,2020-01-01,',
      '+79160000006,c-6,individual,true,2020-02-30,',
      '+79160000007,,individual,true,2020-01-01,',
      '+79160000008,c-8,individual,true,2020-01-01,2019-01-01',
      '',
      '+79160000009,c-9,individual,maybe,2020-01-01,',
    ]);
    const summary = await run(file);
    expect(summary).toMatchObject({ outcome: 'finished', rowsImported: 3, rowsRejected: 6 });
    expect(rejectsOf(file)).toEqual([
      'line,reason,record',
      '5,"msisdn: a phone number may hold only digits, a leading +, spaces, dots, dashes and parentheses","not-a-number,c-4,individual,true,2020-01-01,"',
      '6,subscriberType is not individual or corporate,"+79160000005,c-5,person,true,2020-01-01,"',
      '7,contractStart is not a date or date-time with offset,"+79160000006,c-6,individual,true,2020-02-30,"',
      '8,missing contractId,"+79160000007,,individual,true,2020-01-01,"',
      '9,contractEnd is before contractStart,"+79160000008,c-8,individual,true,2020-01-01,2019-01-01"',
      '11,hasSubscriberData is not true or false,"+79160000009,c-9,individual,maybe,2020-01-01,"',
    ]);
    expect(
      (await listContracts(db, '+79160000001')).map((c) => [c.contractId, c.contractEnd]),
    ).toEqual([
      ['c-1', new Date('2022-06-01T00:00:00Z')],
      ['c-2', null],
    ]);
    const [old, now, other] = await findValidContracts(
      db,
      ['+79160000001', '+79160000001', '+79160000002'],
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(old?.contractId).toBe('c-2');
    expect(now?.subscriberType).toBe('corporate');
    expect(other).toMatchObject({
      contractId: 'c,3',
      hasSubscriberData: true,
      contractStart: new Date('2021-03-04T07:00:00Z'),
    });
  });

  it('imports NDJSON with the same keys and rejects what is not an object', async () => {
    const file = write('base.ndjson', [
      JSON.stringify({
        msisdn: '+79160000001',
        contractId: 'a',
        subscriberType: 'individual',
        hasSubscriberData: true,
        contractStart: '2020-01-01T00:00:00Z',
        contractEnd: null,
      }),
      '{broken',
      JSON.stringify({
        msisdn: '+79160000002',
        contractId: 'b',
        subscriberType: 'corporate',
        hasSubscriberData: false,
        contractStart: '2021-01-01',
      }),
      '[1,2]',
      JSON.stringify({
        msisdn: '+79160000003',
        contractId: 'c',
        subscriberType: 'individual',
        contractStart: '2021-01-01',
      }),
    ]);
    const summary = await run(file);
    expect(summary).toMatchObject({ rowsImported: 2, rowsRejected: 3 });
    expect(
      rejectsOf(file)
        .slice(1)
        .map((l) => l.split(',').slice(0, 2).join(',')),
    ).toEqual(['2,not valid JSON', '4,not a JSON object', '5,missing hasSubscriberData']);
    const answers = await findValidContracts(
      db,
      ['+79160000002', '+79160000001'],
      new Date('2026-01-01Z'),
    );
    expect(answers.map((c) => c?.contractId)).toEqual(['b', 'a']);
  });

  it('treats repeated (msisdn, contractId) rows as upserts, the later line winning', async () => {
    const file = write('dupes.csv', [
      HEADER,
      '+79160000001,c-1,individual,true,2020-01-01,',
      '+79160000001,c-1,individual,false,2020-01-01,',
    ]);
    await run(file, { batchSize: 1 }); // across chunks
    const again = write('dupes-2.csv', [
      HEADER,
      '+79160000002,c-2,individual,true,2020-01-01,',
      '+79160000002,c-2,corporate,true,2020-01-01,2025-01-01',
    ]);
    await run(again); // within one chunk
    expect(await count()).toBe(2);
    const [first, second] = await findValidContracts(
      db,
      ['+79160000001', '+79160000002'],
      new Date('2024-01-01Z'),
    );
    expect(first?.hasSubscriberData).toBe(false);
    expect(second).toMatchObject({
      subscriberType: 'corporate',
      contractEnd: new Date('2025-01-01Z'),
    });
  });

  it('refuses rows that would give a number two valid contracts at once', async () => {
    const file = write('overlap.csv', [
      HEADER,
      '+79160000001,c-1,individual,true,2020-01-01,',
      '+79160000001,c-2,individual,true,2021-01-01,',
      '+79160000003,c-3,individual,true,2020-01-01,2022-01-01',
      '+79160000003,c-4,individual,true,2021-06-01,2023-01-01',
    ]);
    const summary = await run(file);
    expect(summary).toMatchObject({ rowsImported: 2, rowsRejected: 2 });
    expect(
      rejectsOf(file)
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(['3', '5']);
    // A later file that ends c-1 and opens c-2 is accepted: ended rows merge first.
    const next = write('next.csv', [
      HEADER,
      '+79160000001,c-2,individual,true,2021-01-01,',
      '+79160000001,c-1,individual,true,2020-01-01,2021-01-01',
    ]);
    expect(await run(next)).toMatchObject({ rowsImported: 2, rowsRejected: 0 });
    expect(
      (await listContracts(db, '+79160000001')).map((c) => [c.contractId, c.contractEnd]),
    ).toEqual([
      ['c-1', new Date('2021-01-01Z')],
      ['c-2', null],
    ]);
  });

  it('resumes after a crash from the last committed chunk, without duplicates or rejects listed twice', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 100; i++) {
      lines.push(
        i % 10 === 9
          ? `bad-${i},c-${i},individual,true,2020-01-01,`
          : `+7916${String(i).padStart(7, '0')},c-${i},individual,true,2020-01-01,`,
      );
    }
    const file = write('big.csv', lines);
    const committedChunks: number[] = [];
    await expect(
      run(file, {
        batchSize: 20,
        onProgress: (p) => {
          committedChunks.push(p.linesDone);
          if (committedChunks.length === 2) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    // Chunks of 20 records after the header line: lines 2–21 and 22–41.
    expect(committedChunks).toEqual([21, 41]);
    expect(await count()).toBe(36); // lines 2..41 less rejects at 11, 21, 31, 41

    const resumedChunks: number[] = [];
    const summary = await run(file, {
      batchSize: 20,
      onProgress: (p) => void resumedChunks.push(p.linesDone),
    });
    expect(summary).toMatchObject({
      outcome: 'finished',
      resumedAfterLine: 41,
      rowsImported: 90,
      rowsRejected: 10,
    });
    expect(resumedChunks).toEqual([61, 81, 101]); // the earlier chunks were not redone
    expect(await count()).toBe(90);
    expect(
      rejectsOf(file)
        .slice(1)
        .map((l) => Number(l.split(',')[0])),
    ).toEqual([11, 21, 31, 41, 51, 61, 71, 81, 91, 101]);

    const again = await run(file, { batchSize: 20 });
    expect(again).toMatchObject({ outcome: 'already_imported', rowsImported: 90 });
    const restarted = await run(file, { batchSize: 50, restart: true });
    expect(restarted).toMatchObject({
      outcome: 'finished',
      resumedAfterLine: 0,
      rowsImported: 90,
      rowsRejected: 10,
    });
    expect(await count()).toBe(90);
  });

  it('stops cleanly on abort after the chunk in flight, and the rerun completes', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 60; i++)
      lines.push(`+7916${String(i).padStart(7, '0')},c-${i},corporate,false,2020-01-01,`);
    const file = write('abort.ndjson.csv', lines);
    const controller = new AbortController();
    await expect(
      run(file, {
        batchSize: 10,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.linesDone >= 20) controller.abort(new Error('operator pressed Ctrl-C'));
        },
      }),
    ).rejects.toThrow('operator pressed Ctrl-C');
    const partial = await count();
    expect(partial).toBeGreaterThanOrEqual(19);
    expect(partial).toBeLessThan(60);
    const summary = await run(file, { batchSize: 10 });
    expect(summary.rowsImported).toBe(60);
    expect(await count()).toBe(60);
  });
});
