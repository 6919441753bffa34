import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type Clock, systemClock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import { writePrivateJwkFile } from '../../protocol/signatures/key-files.js';
import { generateSigningKeyPair } from '../../protocol/signatures/signing-keys.js';

export interface KeysCommandDeps {
  clock: Clock;
  /** Where the public JWK is printed; stdout unless a test captures it. */
  print: (text: string) => void;
}

const PARTICIPANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * `idbridge keys generate --id mts [--out DIR] [--force]`: makes this node's
 * Ed25519 signing key (protocol.md §1). The private JWK goes to
 * `DIR/<id>.private.jwk.json` (0600); the public JWK is printed for the
 * peers' directories. The kid is `<id>-<yyyymmdd>-<4 hex>`, so a key rotated
 * the same day still gets a distinct kid.
 */
export function registerKeysCommand(
  program: Command,
  deps: KeysCommandDeps = {
    clock: systemClock,
    print: (text) => process.stdout.write(text),
  },
): void {
  const keys = program.command('keys').description('manage this node’s signing keys');
  keys
    .command('generate')
    .description('create an Ed25519 signing key; print its public JWK for the directory')
    .requiredOption('--id <participant>', 'this node’s participant id, e.g. mts or tamtam')
    .option('--out <dir>', 'directory for the private key file', '.idbridge/keys')
    .option('--force', 'replace an existing private key file', false)
    .action((opts: { id: string; out: string; force: boolean }) => {
      if (!PARTICIPANT_ID.test(opts.id)) {
        throw new IdbridgeError(
          'INVALID_ARGUMENT',
          `--id "${opts.id}" must be a participant slug (a-z, 0-9, -), e.g. mts`,
        );
      }
      const day = deps.clock.now().toISOString().slice(0, 10).replaceAll('-', '');
      const kid = `${opts.id}-${day}-${randomBytes(2).toString('hex')}`;
      const { privateJwk, publicJwk } = generateSigningKeyPair(kid);
      const file = join(opts.out, `${opts.id}.private.jwk.json`);
      writePrivateJwkFile(file, privateJwk, { force: opts.force });
      deps.print(`${JSON.stringify(publicJwk, null, 2)}\n`);
      process.stderr.write(`private key ${kid} written to ${file} (mode 0600)\n`);
    });
}
