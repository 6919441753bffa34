import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { IdbridgeError } from '../../core/errors.js';
import type { PublicJwk } from '../schemas/directory-schemas.js';

export type { PublicJwk };

/** A node's own signing key as stored on disk (`kty: OKP`, `crv: Ed25519`). */
export interface PrivateJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  kid: string;
  /** base64url public key */
  x: string;
  /** base64url private seed: keep secret */
  d: string;
}

/** What signs outgoing messages: the `keyid` peers look up, and the key. */
export interface Signer {
  keyId: string;
  privateKey: KeyObject;
}

const KID = /^[A-Za-z0-9._:-]{1,128}$/;
const KEY_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

/** A fresh Ed25519 key pair; the public half goes into peers' directories. */
export function generateSigningKeyPair(keyId: string): {
  privateJwk: PrivateJwk;
  publicJwk: PublicJwk;
} {
  assertKeyId(keyId);
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const privateJwk: PrivateJwk = {
    kty: 'OKP',
    crv: 'Ed25519',
    kid: keyId,
    x: String(jwk.x),
    d: String(jwk.d),
  };
  return { privateJwk, publicJwk: toPublicJwk(privateJwk) };
}

/** The directory entry for a private key: never carries `d`. */
export function toPublicJwk(jwk: PrivateJwk | PublicJwk): PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', kid: jwk.kid, x: jwk.x, alg: 'EdDSA', use: 'sig' };
}

/**
 * Imports a private JWK, checking it is Ed25519 and that `x` really is the
 * public half of `d` (a hand-edited or truncated key file fails here, at
 * start-up, instead of producing signatures no peer accepts).
 */
export function importPrivateJwk(jwk: unknown): KeyObject {
  const checked = checkJwkShape(jwk, true) as PrivateJwk;
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: checked.x, d: checked.d } as JsonWebKey,
      format: 'jwk',
    });
  } catch (err) {
    throw invalidKey(`private key ${checked.kid} cannot be imported`, err);
  }
  const derivedX = createPublicKey(key).export({ format: 'jwk' }).x;
  if (derivedX !== checked.x) {
    throw invalidKey(`private key ${checked.kid}: "x" is not the public half of "d"`);
  }
  return key;
}

/** Imports a public JWK from the directory (any `d` is ignored). */
export function importPublicJwk(jwk: unknown): KeyObject {
  const checked = checkJwkShape(jwk, false);
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: checked.x } as JsonWebKey,
      format: 'jwk',
    });
  } catch (err) {
    throw invalidKey(`public key ${checked.kid} cannot be imported`, err);
  }
}

/** A Signer for a stored private JWK; import once at start-up, not per request. */
export function createSigner(privateJwk: unknown): Signer {
  const privateKey = importPrivateJwk(privateJwk);
  return { keyId: (privateJwk as PrivateJwk).kid, privateKey };
}

export function assertKeyId(keyId: string): void {
  if (!KID.test(keyId)) {
    throw new IdbridgeError(
      'INVALID_ARGUMENT',
      `key id "${keyId}" must be 1-128 characters of A-Z a-z 0-9 . _ : -`,
    );
  }
}

function checkJwkShape(jwk: unknown, requirePrivate: boolean): PublicJwk | PrivateJwk {
  if (typeof jwk !== 'object' || jwk === null) throw invalidKey('JWK is not an object');
  const k = jwk as Record<string, unknown>;
  const kid = typeof k.kid === 'string' ? k.kid : '(no kid)';
  if (k.kty !== 'OKP' || k.crv !== 'Ed25519') {
    throw invalidKey(`key ${kid} is not an Ed25519 JWK (kty OKP, crv Ed25519)`);
  }
  if (typeof k.kid !== 'string' || !KID.test(k.kid)) {
    throw invalidKey(`key ${kid} has no valid "kid"`);
  }
  if (typeof k.x !== 'string' || !KEY_32_BYTES.test(k.x)) {
    throw invalidKey(`key ${kid} has no valid "x" (43 base64url characters)`);
  }
  if (requirePrivate && (typeof k.d !== 'string' || !KEY_32_BYTES.test(k.d))) {
    throw invalidKey(`key ${kid} has no valid "d" (43 base64url characters)`);
  }
  return k as unknown as PublicJwk | PrivateJwk;
}

function invalidKey(message: string, cause?: unknown): IdbridgeError {
  // Keys come from key files and the directory, so a bad one is a configuration fault.
  return new IdbridgeError('CONFIG_INVALID', message, { cause });
}
