import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { PublicJwk } from '../../protocol/schemas/directory-schemas.js';
import { readPrivateJwkFile } from '../../protocol/signatures/key-files.js';
import {
  signSignatureBase,
  verifySignatureBase,
} from '../../protocol/signatures/signature-fields.js';
import { importPrivateJwk, importPublicJwk } from '../../protocol/signatures/signing-keys.js';
import { registerKeysCommand } from './keys-command.js';

describe('idbridge keys generate', () => {
  let dir: string;
  let printed: string[];

  function program(): Command {
    const p = new Command().exitOverride();
    registerKeysCommand(p, {
      clock: createManualClock('2026-11-28T12:00:00Z'),
      print: (text) => printed.push(text),
    });
    return p;
  }

  const run = (...args: string[]) =>
    program().parseAsync(['node', 'idbridge', 'keys', 'generate', ...args]);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idbridge-keys-cmd-'));
    printed = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the private JWK with mode 0600 and prints the matching public JWK', async () => {
    await run('--id', 'mts', '--out', dir);
    const file = join(dir, 'mts.private.jwk.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const publicJwk = JSON.parse(printed.join(''));
    expect(Value.Check(PublicJwk, publicJwk)).toBe(true);
    expect(publicJwk.kid).toMatch(/^mts-20261128-[0-9a-f]{4}$/);
    expect(publicJwk).not.toHaveProperty('d');

    const privateJwk = readPrivateJwkFile(file);
    expect(privateJwk.kid).toBe(publicJwk.kid);
    expect(privateJwk.x).toBe(publicJwk.x);
    const sig = signSignatureBase('hello', importPrivateJwk(privateJwk));
    expect(verifySignatureBase('hello', sig, importPublicJwk(publicJwk))).toBe(true);
  });

  it('refuses to overwrite an existing key without --force, and replaces it with --force', async () => {
    await run('--id', 'tamtam', '--out', dir);
    const file = join(dir, 'tamtam.private.jwk.json');
    const first = readFileSync(file, 'utf8');
    await expect(run('--id', 'tamtam', '--out', dir)).rejects.toThrow(/already exists/);
    expect(readFileSync(file, 'utf8')).toBe(first);

    await run('--id', 'tamtam', '--out', dir, '--force');
    expect(readFileSync(file, 'utf8')).not.toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses an id that is not a participant slug', async () => {
    await expect(run('--id', 'MTS/../x', '--out', dir)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(printed).toEqual([]);
  });
});
