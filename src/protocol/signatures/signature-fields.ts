import { type KeyObject, sign, verify } from 'node:crypto';
import {
  type BareItem,
  type InnerList,
  type Item,
  isInnerList,
  type Parameters,
  parseDictionary,
  serializeInnerList,
} from 'structured-headers';
import { type HeaderSource, readHeader } from './header-values.js';
import { signatureRejected } from './signature-errors.js';

/**
 * Signature-Input / Signature fields (RFC 9421 §4), parsed and written with
 * `structured-headers` (RFC 8941/9651), plus the Ed25519 primitive.
 */

/** A covered component: a field or derived name, `req` to take it from the request. */
export type ComponentSpec = string | { name: string; req: true };

/** Signature parameters this library writes and reads (RFC 9421 §2.3). */
export interface SignatureParams {
  /** Unix seconds. */
  created: number;
  keyid: string;
  nonce?: string | undefined;
  tag?: string | undefined;
  /** Unix seconds. */
  expires?: number | undefined;
  /** Only `ed25519`; written only when asked for (the key already fixes it). */
  alg?: 'ed25519' | undefined;
}

/** One signature's entry in Signature-Input: covered components plus parameters. */
export function createSignatureParams(
  components: readonly ComponentSpec[],
  params: SignatureParams,
): InnerList {
  const items: Item[] = components.map((c) =>
    typeof c === 'string' ? [c, new Map()] : [c.name, new Map([['req', true]])],
  );
  const out: Parameters = new Map<string, BareItem>();
  // Written in this order; the B.2.6 vector (created, keyid) depends on it.
  out.set('created', params.created);
  if (params.expires !== undefined) out.set('expires', params.expires);
  out.set('keyid', params.keyid);
  if (params.alg !== undefined) out.set('alg', params.alg);
  if (params.nonce !== undefined) out.set('nonce', params.nonce);
  if (params.tag !== undefined) out.set('tag', params.tag);
  return [items, out];
}

/**
 * The Signature-Input field: `label=(components);params`. `signatureParams`
 * may come already serialized, so a signer that needs the same text for its
 * signature base (`"@signature-params"`) serializes it once.
 */
export function serializeSignatureInput(
  label: string,
  signatureParams: InnerList | string,
): string {
  const text =
    typeof signatureParams === 'string' ? signatureParams : serializeInnerList(signatureParams);
  return dictionaryMember(label, text);
}

/**
 * The Signature field: `label=:base64:`, a byte sequence (RFC 8941 §4.1.8:
 * standard base64 with padding between colons), written with Buffer's
 * encoder rather than the library's, which encodes byte by byte.
 */
export function serializeSignature(label: string, signature: Uint8Array): string {
  const bytes = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  return dictionaryMember(label, `:${bytes.toString('base64')}:`);
}

// sf-key (RFC 8941 §3.1.2): the names a dictionary member may have.
const SF_KEY = /^[a-z*][a-z0-9_\-.*]*$/;

/** One dictionary member whose value is already serialized. */
function dictionaryMember(label: string, value: string): string {
  if (!SF_KEY.test(label)) throw new Error(`signature label "${label}" is not a valid key`);
  return `${label}=${value}`;
}

/** A signature picked out of a message's Signature-Input and Signature fields. */
export interface SelectedSignature {
  label: string;
  signatureParams: InnerList;
  signature: Uint8Array;
}

/**
 * Picks the signature to check: the one under `label`, or else the first
 * whose `tag` parameter equals `tag` (RFC 9421 §7.2.5 suggests tags for
 * exactly this). Throws UNAUTHENTICATED when the fields are missing or
 * malformed or no signature matches.
 */
export function selectSignature(
  headers: HeaderSource,
  choose: { label?: string; tag?: string },
): SelectedSignature {
  const inputs = parseField(headers, 'signature-input', 'Signature-Input');
  const signatures = parseField(headers, 'signature', 'Signature');
  let label: string | undefined;
  let signatureParams: InnerList | undefined;
  for (const [name, entry] of inputs) {
    if (!isInnerList(entry)) continue;
    if (choose.label !== undefined && name !== choose.label) continue;
    if (choose.tag !== undefined && entry[1].get('tag') !== choose.tag) continue;
    label = name;
    signatureParams = entry;
    break;
  }
  if (label === undefined || signatureParams === undefined) {
    throw signatureRejected(
      choose.label !== undefined
        ? `Signature-Input has no signature labelled "${choose.label}"`
        : `Signature-Input has no signature with tag "${choose.tag}"`,
    );
  }
  const entry = signatures.get(label);
  if (entry === undefined || isInnerList(entry) || !(entry[0] instanceof ArrayBuffer)) {
    throw signatureRejected(`Signature has no byte-sequence value for label "${label}"`);
  }
  return { label, signatureParams, signature: new Uint8Array(entry[0]) };
}

/**
 * Reads and type-checks the parameters of a received signature. Unknown
 * parameters are allowed (they are signed like the rest) but not returned.
 */
export function readSignatureParams(signatureParams: InnerList): SignatureParams {
  const p = signatureParams[1];
  const created = p.get('created');
  const keyid = p.get('keyid');
  const nonce = p.get('nonce');
  const tag = p.get('tag');
  const expires = p.get('expires');
  const alg = p.get('alg');
  if (typeof created !== 'number' || !Number.isInteger(created)) {
    throw signatureRejected('created parameter is missing or not an integer');
  }
  if (typeof keyid !== 'string' || keyid === '') {
    throw signatureRejected('keyid parameter is missing or not a string');
  }
  if (nonce !== undefined && (typeof nonce !== 'string' || nonce === '')) {
    throw signatureRejected('nonce parameter is not a non-empty string');
  }
  if (tag !== undefined && typeof tag !== 'string') {
    throw signatureRejected('tag parameter is not a string');
  }
  if (expires !== undefined && (typeof expires !== 'number' || !Number.isInteger(expires))) {
    throw signatureRejected('expires parameter is not an integer');
  }
  if (alg !== undefined && alg !== 'ed25519') {
    throw signatureRejected(`alg "${String(alg)}" is not accepted (only ed25519)`);
  }
  return { created, keyid, nonce, tag, expires, alg };
}

/** Ed25519 over the UTF-8 signature base (RFC 9421 §3.3.6). */
export function signSignatureBase(base: string, privateKey: KeyObject): Uint8Array {
  return sign(null, Buffer.from(base, 'utf8'), privateKey);
}

export function verifySignatureBase(
  base: string,
  signature: Uint8Array,
  publicKey: KeyObject,
): boolean {
  // Ed25519 only, and its signatures are exactly 64 bytes: anything else is refused outright.
  if (signature.length !== 64 || publicKey.asymmetricKeyType !== 'ed25519') return false;
  return verify(null, Buffer.from(base, 'utf8'), publicKey, signature);
}

function parseField(
  headers: HeaderSource,
  name: string,
  display: string,
): ReturnType<typeof parseDictionary> {
  const value = readHeader(headers, name);
  if (value === undefined || value === '') throw signatureRejected(`${display} header is missing`);
  try {
    return parseDictionary(value);
  } catch {
    throw signatureRejected(`${display} header is not a valid structured dictionary`);
  }
}
