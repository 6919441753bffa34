import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IdbridgeError } from '../../core/errors.js';
import { importPrivateJwk, type PrivateJwk } from './signing-keys.js';

/**
 * Writes a private JWK readable by its owner only (0600, directory 0700).
 * Refuses to replace an existing file unless `force`: overwriting a live
 * key by accident would break every peer's trust in this node at once.
 */
export function writePrivateJwkFile(
  path: string,
  jwk: PrivateJwk,
  options: { force?: boolean } = {},
): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${JSON.stringify(jwk, null, 2)}\n`, {
      mode: 0o600,
      flag: options.force ? 'w' : 'wx',
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new IdbridgeError(
        'INVALID_ARGUMENT',
        `${path} already exists; pass --force to replace it`,
        { cause: err },
      );
    }
    throw err;
  }
  // `mode` applies only when the file is created; an overwritten file keeps
  // its old mode, so set it explicitly.
  chmodSync(path, 0o600);
}

/** Reads and checks a private JWK file (see importPrivateJwk). */
export function readPrivateJwkFile(path: string): PrivateJwk {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new IdbridgeError('CONFIG_INVALID', `cannot read private key file ${path}`, {
      cause: err,
    });
  }
  importPrivateJwk(parsed);
  const { kty, crv, kid, x, d } = parsed as PrivateJwk;
  return { kty, crv, kid, x, d };
}
