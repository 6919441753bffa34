import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = resolve('bin/idbridge.js');

/**
 * A node refusing a bad directory names each entry by its id and each key by
 * its kid, as the person editing the file knows them (issue 23 item 10).
 */
describe('idbridge operator with an invalid directory', () => {
  it('names the participant by id and the key by kid, and exits non-zero', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-directory-cli-'));
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => k !== 'DATABASE_URL' && !k.startsWith('IDBRIDGE_'),
      ),
    );
    await run(process.execPath, [BIN, 'keys', 'generate', '--id', 'mts', '--out', 'keys'], {
      cwd: dir,
      env,
    });
    await writeFile(
      join(dir, 'directory.yaml'),
      [
        '- id: mts',
        '  role: operator',
        '  name: MTS',
        '  baseUrl: http://127.0.0.1:9001',
        '  keys: []',
        '- id: tamtam',
        '  role: messenger',
        '  name: TamTam',
        '  baseUrl: http://127.0.0.1:9002',
        '  keys:',
        '    - { kty: OKP, crv: Ed25519, kid: tamtam-old, alg: EdDSA, use: sig }',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'idbridge.yaml'),
      [
        'node:',
        '  id: mts',
        `  signingKeyFile: ${join(dir, 'keys', 'mts.private.jwk.json')}`,
        `  directoryFile: ${join(dir, 'directory.yaml')}`,
        '  numberHashKey: test-number-hash-key-0123',
        '  internalToken: test-internal-token-0123456789',
        '',
      ].join('\n'),
    );
    const failure = await run(process.execPath, [BIN, 'operator', '-c', 'idbridge.yaml'], {
      cwd: dir,
      env,
      timeout: 60_000,
    }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failure?.code).toBe(1);
    const stderr = failure?.stderr ?? '';
    expect(stderr).toContain('participant "mts" keys: Expected array length');
    expect(stderr).toContain('participant "tamtam" key "tamtam-old" x: Expected required property');
    expect(stderr).not.toMatch(/^\s+\d+\.keys/m);
  }, 90_000);
});
