import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, expect, it, vi } from 'vitest';
import {
  parseReportOptions,
  registerReportCommand,
  runReport,
} from '../../src/cli/commands/report-command.js';
import { createManualClock } from '../../src/core/clock.js';
import { migrate } from '../../src/db/migrator.js';
import { openDatabase } from '../../src/db/open-database.js';
import type { Database } from '../../src/db/port.js';
import { buildReport } from '../../src/report/build-report.js';
import type { MessengerReport, OperatorReport } from '../../src/report/report-types.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';
import {
  FIXTURE_AS_OF,
  FIXTURE_MSISDN,
  FIXTURE_RANGE,
  plantMessengerFixture,
  plantOperatorFixture,
} from './report-fixture.js';

const request = (format: 'json' | 'csv' | 'html' = 'json') => ({
  ...FIXTURE_RANGE,
  asOf: FIXTURE_AS_OF,
  format,
  node: null,
});

describeEachDriver('compliance report (issue 8, R10, R12)', (kind) => {
  const open: Database[] = [];
  const database = async () => {
    const db = await createTestDatabase(kind);
    open.push(db);
    return db;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
  });

  it('operator: figures per messenger match the hand-computed fixture, misses listed with ids', async () => {
    const db = await database();
    await plantOperatorFixture(db);
    const report = (await buildReport(
      db,
      'operator',
      FIXTURE_RANGE,
      FIXTURE_AS_OF,
    )) as OperatorReport;
    expect(report.counterparties.map((c) => c.messengerId)).toEqual(['tamtam', 'vk']);
    const [tamtam, vk] = report.counterparties;

    // Requests 1–5 are in range: 1 s, 4 s, 1140 s in time; 1230 s late; one pending past 20 min.
    expect(tamtam?.identification).toMatchObject({
      requests: 5,
      answeredInTime: 3,
      answeredInTimePercent: 60,
      answeredLate: 1,
      pendingPastDeadline: 1,
      // Over [1, 4, 1140, 1230]: p50 (4+1140)/2; p95 1140 + 0.85 × 90.
      answerSeconds: { p50: 572, p95: 1216.5, max: 1230 },
    });
    expect(tamtam?.identification.misses).toEqual([
      {
        kind: 'answered_late',
        requestId: 'a0000000-0000-4000-8000-000000000004',
        receivedAt: '2026-03-01T12:00:00.000Z',
        answerBy: '2026-03-01T12:20:00.000Z',
        answeredAt: '2026-03-01T12:20:30.000Z',
        answerSeconds: 1230,
        decidedBy: 'checker',
      },
      {
        kind: 'pending_past_deadline',
        requestId: 'a0000000-0000-4000-8000-000000000005',
        receivedAt: '2026-03-01T23:50:00.000Z',
        answerBy: '2026-03-02T00:10:00.000Z',
        answeredAt: null,
        answerSeconds: null,
        decidedBy: null,
      },
    ]);
    // Answered exactly at the line is in time; over [0.5, 1200]: p95 0.5 + 0.95 × 1199.5.
    expect(vk?.identification).toMatchObject({
      requests: 2,
      answeredInTime: 2,
      answeredInTimePercent: 100,
      answeredLate: 0,
      pendingPastDeadline: 0,
      answerSeconds: { p50: 600.25, p95: 1140.025, max: 1200 },
      misses: [],
    });

    expect(tamtam?.notices).toMatchObject({
      written: 5,
      acknowledgedInTime: 1,
      acknowledgedLate: 1,
      unacknowledgedPastDue: 1,
      rejected: 1,
      awaiting: 1,
    });
    expect(tamtam?.notices.misses).toEqual([
      {
        kind: 'acknowledged_late',
        outboxId: 'b0000000-0000-4000-8000-000000000002',
        notificationId: 'c0000000-0000-4000-8000-000000000002',
        type: 'contract_terminated',
        occurredAt: '2026-03-01T09:00:00.000Z',
        dueBy: '2026-03-02T09:00:00.000Z',
        acknowledgedAt: '2026-03-02T10:00:00.000Z',
        attempts: 1,
      },
      {
        kind: 'unacknowledged_past_due',
        outboxId: 'b0000000-0000-4000-8000-000000000003',
        notificationId: 'c0000000-0000-4000-8000-000000000003',
        type: 'contract_terminated',
        occurredAt: '2026-03-01T10:00:00.000Z',
        dueBy: '2026-03-02T10:00:00.000Z',
        acknowledgedAt: null,
        attempts: 3,
      },
    ]);
    expect(vk?.notices).toMatchObject({ written: 1, acknowledgedInTime: 1, misses: [] });
  });

  it('messenger: per operator answers and notices, and users stopped by cause', async () => {
    const db = await database();
    await plantMessengerFixture(db);
    const report = (await buildReport(
      db,
      'messenger',
      FIXTURE_RANGE,
      FIXTURE_AS_OF,
    )) as MessengerReport;
    expect(report.counterparties.map((c) => c.operatorId)).toEqual(['beeline', 'mts']);
    const [beeline, mts] = report.counterparties;

    expect(mts?.identification).toMatchObject({
      sent: 4,
      answeredInTime: 1,
      answeredInTimePercent: 25,
      answeredLate: 1,
      missed: 1,
      openPastDeadline: 1,
      // Over the answered ones only, [2, 1500]: a `missed` expiry is no answer.
      answerSeconds: { p50: 751, p95: 1425.1, max: 1500 },
    });
    expect(mts?.identification.misses.map((m) => [m.kind, m.requestId, m.answeredAt])).toEqual([
      ['answered_late', 'd0000000-0000-4000-8000-000000000002', '2026-03-01T11:25:00.000Z'],
      ['missed', 'd0000000-0000-4000-8000-000000000003', null],
      ['open_past_deadline', 'd0000000-0000-4000-8000-000000000004', null],
    ]);
    expect(mts?.notices).toEqual({
      received: 2,
      receivedInTime: 1,
      receivedLate: 1,
      misses: [
        {
          notificationId: 'e0000000-0000-4000-8000-000000000002',
          type: 'contract_terminated',
          occurredAt: '2026-03-01T06:00:00.000Z',
          dueBy: '2026-03-02T06:00:00.000Z',
          receivedAt: '2026-03-02T07:00:00.000Z',
          delaySeconds: 90_000,
        },
      ],
    });
    expect(beeline?.identification).toMatchObject({
      sent: 1,
      answeredInTime: 1,
      answeredInTimePercent: 100,
      answerSeconds: { p50: 1, p95: 1, max: 1 },
      misses: [],
    });
    expect(beeline?.notices).toEqual({
      received: 0,
      receivedInTime: 0,
      receivedLate: 0,
      misses: [],
    });

    expect(report.transitions).toEqual({
      suspended: 3,
      deauthorized: 1,
      byCause: [
        { toState: 'suspended', cause: 'contract_terminated', count: 2 },
        { toState: 'suspended', cause: 'subscriber_changed', count: 1 },
        { toState: 'deauthorized', cause: 'grace_expired', count: 1 },
      ],
    });
  });

  it('prints JSON, CSV and HTML with the same figures, and never a number or a code', async () => {
    const db = await database();
    await plantMessengerFixture(db);
    const json = JSON.parse(await runReport(db, request('json'))) as MessengerReport;
    expect(json.node).toBe('messenger');
    const csv = await runReport(db, request('csv'));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('section,counterparty,name,value,detail');
    expect(lines).toContain('identification,mts,answered_in_time_percent,25,');
    expect(lines).toContain('identification,mts,answer_seconds_p95,1425.1,');
    expect(lines).toContain(
      'identification.misses,mts,missed,d0000000-0000-4000-8000-000000000003,state=missed; first_sent_at=2026-03-01T12:00:00.000Z; deadline_at=2026-03-01T12:20:00.000Z; answered_at=',
    );
    expect(lines).toContain('transitions.by_cause,,suspended,2,cause=contract_terminated');
    const html = await runReport(db, request('html'));
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('e0000000-0000-4000-8000-000000000002');
    expect(html).not.toMatch(/<script/i);
    for (const text of [JSON.stringify(json), csv, html]) {
      expect(text).not.toContain(FIXTURE_MSISDN.slice(1));
      expect(text).not.toContain('code-');
    }
  });

  it('takes the node kind from the database, and asks for --node where none claimed it', async () => {
    const operator = await database();
    await plantOperatorFixture(operator);
    expect(JSON.parse(await runReport(operator, request())).node).toBe('operator');

    const bare = await database();
    await expect(runReport(bare, request())).rejects.toThrow(/--node operator\|messenger/);
    await migrate(bare, ['shared']);
    await expect(runReport(bare, request())).rejects.toThrow(/no node has claimed/);
    await expect(runReport(bare, { ...request(), node: 'operator' })).rejects.toThrow(
      /no operator tables; run `idbridge migrate`/,
    );
  });
});

it('refuses bad options with a message naming the option', () => {
  const clock = createManualClock(new Date('2026-03-05T00:00:00Z'));
  const ok = { from: '2026-03-01', to: '2026-03-02' };
  expect(parseReportOptions(ok, clock)).toMatchObject({
    format: 'json',
    node: null,
    asOf: new Date('2026-03-05T00:00:00Z'),
  });
  expect(() => parseReportOptions({ ...ok, from: 'yesterday' }, clock)).toThrow(
    /--from must be an ISO-8601/,
  );
  expect(() => parseReportOptions({ ...ok, to: '2026-02-01' }, clock)).toThrow(
    /--from must be before --to/,
  );
  expect(() => parseReportOptions({ ...ok, format: 'pdf' }, clock)).toThrow(
    /--format must be one of json, csv, html/,
  );
  expect(() => parseReportOptions({ ...ok, node: 'sandbox' }, clock)).toThrow(
    /--node must be one of/,
  );
  expect(() => parseReportOptions({ ...ok, asOf: 'soon' }, clock)).toThrow(/--as-of/);
});

it('is wired to commander: reads the database named in the config, writes --out', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-report-cli-'));
  try {
    vi.stubEnv('DATABASE_URL', ''); // the file decides the driver
    const database = { dataDir: join(dir, 'data'), schema: 'report_cli' };
    const db = await openDatabase(database);
    await plantOperatorFixture(db);
    await db.close();
    const configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify({ database, log: { level: 'silent' } }));
    const out = join(dir, 'report.csv');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const program = new Command().exitOverride();
      registerReportCommand(program);
      await program.parseAsync(
        [
          'report',
          '--config',
          configFile,
          '--from',
          FIXTURE_RANGE.from.toISOString(),
          '--to',
          FIXTURE_RANGE.to.toISOString(),
          '--as-of',
          FIXTURE_AS_OF.toISOString(),
          '--format',
          'csv',
          '--out',
          out,
        ],
        { from: 'user' },
      );
    } finally {
      spy.mockRestore();
    }
    const lines = (await readFile(out, 'utf8')).split('\r\n');
    expect(lines).toContain('report,,node,operator,');
    expect(lines).toContain('identification,tamtam,answered_in_time,3,');
    expect(lines).toContain('notices,tamtam,unacknowledged_past_due,1,');
  } finally {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  }
});
