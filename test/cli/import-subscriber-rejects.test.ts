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
  it('rejects +7916555000 (ten digits) and a foreign number with their lines and reasons, and reads a typed number', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-import-cli-'));
    const file = join(dir, 'subscribers.csv');
    await writeFile(
      file,
      [
        'msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd',
        '+79161234567,C-1,individual,true,2020-01-01T00:00:00Z,',
        '+7916555000,C-2,individual,true,2020-01-01T00:00:00Z,',
        '+4915112345678,C-3,individual,true,2020-01-01T00:00:00Z,',
        '8 (916) 123-45-68,C-4,individual,true,2020-01-01T00:00:00Z,',
        '',
      ].join('\n'),
    );
    // Maintenance commands never create an embedded database; migrate does (issue 23 item 4).
    expect((await runCli(dir, ['migrate', '--node', 'operator'])).code).toBe(0);
    const { code, stdout, stderr } = await runCli(dir, ['operator', 'import-subscribers', file]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/imported 2 rows, rejected 2/);
    const rejects = await readFile(`${file}.rejects.csv`, 'utf8');
    const lines = rejects.trim().split('\n');
    // One number rule for every input (issue 29 item 5): the app API's, then
    // what an operator's base holds. A number typed as people type it is read.
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /^3,msisdn: not a valid phone number: no numbering plan has this number,/,
      ),
      expect.stringMatching(/^4,msisdn is not a Russian mobile number/),
    ]);
  }, 90_000);
});
