import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

/**
 * The subscriber import as an operator runs it: a number that cannot be a
 * Russian mobile number is a reject with its line and reason, and the good
 * rows still land (issue 23 item 9).
 */
describe('idbridge operator import-subscribers', () => {
  it('rejects +7916555000 (ten digits) with its line and reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-import-cli-'));
    const file = join(dir, 'subscribers.csv');
    await writeFile(
      file,
      [
        'msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd',
        '+79161234567,C-1,individual,true,2020-01-01T00:00:00Z,',
        '+7916555000,C-2,individual,true,2020-01-01T00:00:00Z,',
        '',
      ].join('\n'),
    );
    // Maintenance commands never create an embedded database; migrate does (issue 23 item 4).
    expect((await runCli(dir, ['migrate', '--node', 'operator'])).code).toBe(0);
    const { code, stdout, stderr } = await runCli(dir, ['operator', 'import-subscribers', file]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/imported 1 rows, rejected 1/);
    const rejects = await readFile(`${file}.rejects.csv`, 'utf8');
    const lines = rejects.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^3,msisdn is not a Russian mobile number/);
  }, 90_000);
});
