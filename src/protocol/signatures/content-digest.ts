import { createHash, timingSafeEqual } from 'node:crypto';
import { parseDictionary } from 'structured-headers';
import { signatureRejected } from './signature-errors.js';

/** Raw message content: bytes as received, or a string sent as UTF-8. */
export type BodyBytes = Uint8Array | string;

/**
 * Algorithms this node accepts in `Content-Digest` (RFC 9530 §5 lists both
 * as active). We send sha-256 (protocol.md §1); sha-512 is accepted so a
 * peer built on another RFC 9421 library is not refused for choosing it.
 */
const DIGEST_ALGORITHMS = { 'sha-256': 'sha256', 'sha-512': 'sha512' } as const;
type DigestAlgorithm = keyof typeof DIGEST_ALGORITHMS;

export function bodyToBytes(body: BodyBytes | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** True when the message carries content, i.e. the body fields must be signed. */
export function hasBody(body: BodyBytes | undefined): body is BodyBytes {
  return body !== undefined && body.length > 0;
}

/** `Content-Digest` value for `body`: `sha-256=:<base64>:` (RFC 9530 §2). */
export function computeContentDigest(
  body: BodyBytes,
  algorithm: DigestAlgorithm = 'sha-256',
): string {
  const digest = createHash(DIGEST_ALGORITHMS[algorithm]).update(bodyToBytes(body)).digest();
  return `${algorithm}=:${digest.toString('base64')}:`;
}

/**
 * Checks a received `Content-Digest` against the raw body bytes, before
 * anything parses the body (protocol.md §1). Throws UNAUTHENTICATED when the
 * field is missing or malformed, names an algorithm this node does not
 * accept, or any digest does not match. Every entry must be an accepted
 * algorithm: an unknown one is refused rather than ignored, so a weak digest
 * can never stand in for a strong one.
 */
export function checkContentDigest(header: string | undefined, body: BodyBytes | undefined): void {
  if (header === undefined || header.trim() === '') {
    throw signatureRejected('Content-Digest header is missing');
  }
  let entries: ReturnType<typeof parseDictionary>;
  try {
    entries = parseDictionary(header);
  } catch {
    throw signatureRejected('Content-Digest header is not a valid structured dictionary');
  }
  if (entries.size === 0) throw signatureRejected('Content-Digest header is empty');
  const bytes = bodyToBytes(body);
  for (const [name, member] of entries) {
    if (!(name in DIGEST_ALGORITHMS)) {
      throw signatureRejected(`Content-Digest algorithm "${name}" is not supported`);
    }
    const value = member[0];
    if (!(value instanceof ArrayBuffer)) {
      throw signatureRejected(`Content-Digest ${name} value is not a byte sequence`);
    }
    const expected = createHash(DIGEST_ALGORITHMS[name as DigestAlgorithm])
      .update(bytes)
      .digest();
    const received = new Uint8Array(value);
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
      throw signatureRejected(`Content-Digest ${name} does not match the body`);
    }
  }
}
