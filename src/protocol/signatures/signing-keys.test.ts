import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PublicJwk } from '../schemas/directory-schemas.js';
import { readPrivateJwkFile, writePrivateJwkFile } from './key-files.js';
import { createKeyResolver, createPublicKeyCache } from './key-resolver.js';
import { signSignatureBase, verifySignatureBase } from './signature-fields.js';
import {
  createSigner,
  generateSigningKeyPair,
  importPrivateJwk,
  importPublicJwk,
} from './signing-keys.js';

describe('signing keys', () => {
  it('generates an Ed25519 pair whose public JWK fits the directory schema and carries no d', () => {
    const { privateJwk, publicJwk } = generateSigningKeyPair('mts-2026');
    expect(privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'mts-2026' });
    expect(privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      kid: 'mts-2026',
      x: privateJwk.x,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(Value.Check(PublicJwk, publicJwk)).toBe(true);
  });

  it('imports the pair so that what the private key signs the public key verifies', () => {
    const { privateJwk, publicJwk } = generateSigningKeyPair('k1');
    const signer = createSigner(privateJwk);
    expect(signer.keyId).toBe('k1');
    const sig = signSignatureBase('base', signer.privateKey);
    expect(verifySignatureBase('base', sig, importPublicJwk(publicJwk))).toBe(true);
    expect(verifySignatureBase('base!', sig, importPublicJwk(publicJwk))).toBe(false);
  });

  it('refuses a private JWK whose x is not the public half of d', () => {
    const a = generateSigningKeyPair('a').privateJwk;
    const b = generateSigningKeyPair('b').privateJwk;
    expect(() => importPrivateJwk({ ...a, x: b.x })).toThrow(/"x" is not the public half of "d"/);
  });

  it('refuses JWKs that are not Ed25519 or lack fields', () => {
    const { publicJwk } = generateSigningKeyPair('a');
    expect(() => importPublicJwk({ ...publicJwk, crv: 'X25519' })).toThrow(/not an Ed25519 JWK/);
    expect(() => importPublicJwk({ ...publicJwk, x: 'short' })).toThrow(/no valid "x"/);
    expect(() => importPrivateJwk(publicJwk)).toThrow(/no valid "d"/);
    expect(() => generateSigningKeyPair('bad id')).toThrow(/key id "bad id"/);
  });
});

describe('key files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idbridge-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the private JWK with mode 0600 and reads back the same key', () => {
    const { privateJwk } = generateSigningKeyPair('mts-1');
    const file = join(dir, 'nested', 'mts.private.jwk.json');
    writePrivateJwkFile(file, privateJwk);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(readPrivateJwkFile(file)).toEqual(privateJwk);
  });

  it('refuses to overwrite without force, and resets the mode to 0600 when forced', () => {
    const file = join(dir, 'k.json');
    writeFileSync(file, 'old', { mode: 0o644 });
    const { privateJwk } = generateSigningKeyPair('k');
    expect(() => writePrivateJwkFile(file, privateJwk)).toThrow(/already exists/);
    expect(readFileSync(file, 'utf8')).toBe('old');
    writePrivateJwkFile(file, privateJwk, { force: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readPrivateJwkFile(file).kid).toBe('k');
  });

  it('reports an unreadable or corrupt key file as a configuration error', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{not json');
    expect(() => readPrivateJwkFile(file)).toThrow(/cannot read private key file/);
    expect(() => readPrivateJwkFile(join(dir, 'absent.json'))).toThrow(/cannot read/);
  });
});

describe('key resolver', () => {
  it('resolves each kid to its participant and imports each key once', () => {
    const mts1 = generateSigningKeyPair('mts-1').publicJwk;
    const mts2 = generateSigningKeyPair('mts-2').publicJwk;
    const tt = generateSigningKeyPair('tamtam-1').publicJwk;
    const cache = createPublicKeyCache();
    const participants = [
      { id: 'mts', keys: [mts1, mts2] },
      { id: 'tamtam', keys: [tt] },
    ];
    const resolve = createKeyResolver(participants, cache);
    expect(resolve('mts-2')?.participantId).toBe('mts');
    expect(resolve('tamtam-1')?.participantId).toBe('tamtam');
    expect(resolve('nobody')).toBeUndefined();
    const again = createKeyResolver(participants, cache);
    expect(cache.size).toBe(3);
    expect(again('mts-1')?.key).toBe(resolve('mts-1')?.key);
  });

  it('leaves out participants without an agreement and refuses a kid listed twice', () => {
    const k = generateSigningKeyPair('k').publicJwk;
    expect(
      createKeyResolver([{ id: 'beeline', keys: [k], agreement: false }])('k'),
    ).toBeUndefined();
    expect(() =>
      createKeyResolver([
        { id: 'a', keys: [k] },
        { id: 'b', keys: [k] },
      ]),
    ).toThrow(/listed twice/);
  });
});

describe('signature config section', () => {
  it('defaults the window to 300 s and refuses unknown keys', async () => {
    const { SignatureConfigSchema } = await import('./signature-config.js');
    expect(Value.Default(SignatureConfigSchema, {})).toEqual({ maxSkewSeconds: 300 });
    expect(Value.Check(SignatureConfigSchema, { maxSkewSeconds: 300, extra: 1 })).toBe(false);
    expect(Value.Check(SignatureConfigSchema, { maxSkewSeconds: 0 })).toBe(false);
  });
});
