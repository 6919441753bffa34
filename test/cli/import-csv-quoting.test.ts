import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Both file imports as a person runs them, on files a spreadsheet writes:
 * quoted fields holding commas, doubled quotes and line breaks are one
 * field, a reject names the line its record starts on, and a broken quote
 * stops the import with the file and line instead of misreading the rest
 * (issue 29 item 5).
 */
const SUBSCRIBER_HEADER =
  'msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd';

async function workspace(kind: 'operator' | 'messenger') {
  const dir = await mkdtemp(join(tmpdir(), `idbridge-csv-${kind}-`));
  const config = join(dir, `${kind}.json`);
  await writeFile(config, JSON.stringify({ database: { dataDir: join(dir, 'db') } }));
  const migrated = await runCli(dir, ['migrate', '--node', kind, '-c', config]);
  expect(migrated.code, migrated.stderr).toBe(0);
  return { dir, config, dataDir: join(dir, 'db') };
}

async function query<T>(dataDir: string, sql: string): Promise<T[]> {
  const db = await openDatabase({ dataDir, schema: 'public' });
  try {
    return (await db.query<T & Record<string, unknown>>(sql)).rows;
  } finally {
    await db.close();
  }
}

describe('CSV files with quoted fields', () => {
  it('operator import-subscribers reads quoted commas, quotes and line breaks, and rejects by starting line', async () => {
    const { dir, config, dataDir } = await workspace('operator');
    const file = join(dir, 'subscribers.csv');
    await writeFile(
      file,
      [
        SUBSCRIBER_HEADER,
        '+79161234567,"C-1, ""main""",individual,true,2020-01-01T00:00:00Z,',
        '+79161234568,"C-2',
        'second line",corporate,false,2020-01-01,',
        '+7916555000,C-3,individual,true,2020-01-01,',
        '',
      ].join('\r\n'),
    );
    const { code, stdout, stderr } = await runCli(dir, [
      'operator',
      'import-subscribers',
      file,
      '-c',
      config,
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/imported 2 rows, rejected 1/);
    const rejects = (await readFile(`${file}.rejects.csv`, 'utf8')).trim().split('\n');
    expect(rejects.slice(1)).toEqual([
      // The record column holds the record as one CSV line, itself quoted as a field.
      '5,msisdn: not a valid phone number: no numbering plan has this number,"+7916555000,C-3,individual,true,2020-01-01,"',
    ]);
    const contracts = await query<{ contract_id: string }>(
      dataDir,
      'SELECT contract_id FROM subscriber_contracts ORDER BY contract_id',
    );
    expect(contracts.map((c) => c.contract_id)).toEqual(['C-1, "main"', 'C-2\r\nsecond line']);
  }, 120_000);

  it('operator import-subscribers stops at a broken quote, naming the file and line, and exits 2 (bad input)', async () => {
    const { dir, config } = await workspace('operator');
    const file = join(dir, 'broken.csv');
    await writeFile(
      file,
      [
        SUBSCRIBER_HEADER,
        '+79161234567,C-1,individual,true,2020-01-01,',
        '+79161234568,"C-2"x,individual,true,2020-01-01,',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await runCli(dir, [
      'operator',
      'import-subscribers',
      file,
      '-c',
      config,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `${file}:3: a closing quote is followed by something other than a delimiter`,
    );
  }, 120_000);

  it('messenger import-users reads a quoted userRef with a comma and a number typed with quotes', async () => {
    const { dir, config, dataDir } = await workspace('messenger');
    const file = join(dir, 'users.csv');
    await writeFile(
      file,
      [
        'userRef,number,userSince',
        '"acct, 1","8 (916) 123-45-67",2020-01-10',
        '"acct ""2""",+79161234568,2020-01-11',
        '"acct',
        '3",call me,2020-01-12',
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await runCli(dir, [
      'messenger',
      'import-users',
      file,
      '-c',
      config,
      '--no-progress',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/imported 2 legacy users, rejected 1\b/);
    const users = await query<{ ref: string; msisdn: string }>(
      dataDir,
      'SELECT l.user_ref AS ref, u.msisdn FROM legacy_users l JOIN users u USING (user_id) ORDER BY l.user_ref',
    );
    expect(users).toEqual([
      { ref: 'acct "2"', msisdn: '+79161234568' },
      { ref: 'acct, 1', msisdn: '+79161234567' },
    ]);
    const rejects = await query<{ user_ref: string; line_no: string; reason: string }>(
      dataDir,
      'SELECT user_ref, line_no::text, reason FROM legacy_import_rejects',
    );
    expect(rejects).toEqual([{ user_ref: 'acct\n3', line_no: '4', reason: 'INVALID_NUMBER' }]);
  }, 120_000);
});
