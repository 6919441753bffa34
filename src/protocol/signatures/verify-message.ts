import { serializeInnerList } from 'structured-headers';
import { checkContentDigest, hasBody } from './content-digest.js';
import { readHeader } from './header-values.js';
import type { KeyResolver } from './key-resolver.js';
import { requestWithDigest, SIGNATURE_TAG } from './sign-message.js';
import {
  buildSignatureBase,
  componentIdentifier,
  type MessageContext,
  type RequestParts,
  type ResponseParts,
} from './signature-base.js';
import { ComponentError, signatureRejected } from './signature-errors.js';
import {
  readSignatureParams,
  type SelectedSignature,
  selectSignature,
  serializeSignature,
  serializeSignatureInput,
  verifySignatureBase,
} from './signature-fields.js';

export interface VerifyOptions {
  /** The receiver's clock. */
  now: Date;
  /**
   * How far `created` may lie from `now`, either way (protocol.md §1: 300 s).
   * Pass `Infinity` to re-check stored evidence long after the fact.
   */
  maxSkewSeconds?: number;
  requiredTag?: string;
}

/** A signature that checked out, with what the caller needs next. */
export interface VerifiedSignature {
  label: string;
  keyId: string;
  participantId: string;
  created: Date;
  /** Requests always have one; the caller refuses a nonce seen in the window (replay). */
  nonce: string | undefined;
  /** Serialized component identifiers, e.g. `"@method";req`. */
  coveredComponents: string[];
  /**
   * Evidence (R10): this signature's Signature-Input and Signature entries
   * alone, the Content-Digest checked, and the exact signature base, so an
   * audit can re-verify with nothing but the sender's public key.
   */
  evidence: {
    signatureInput: string;
    signature: string;
    contentDigest: string | undefined;
    signatureBase: string;
  };
}

export interface VerifiedRequest extends VerifiedSignature {
  nonce: string;
}

const DEFAULT_MAX_SKEW_SECONDS = 300;

/**
 * Verifies a received request per protocol.md §1 and returns the signer.
 * Throws UNAUTHENTICATED when the Signature/Signature-Input fields are
 * missing or malformed, no signature carries the required tag, a required
 * component is not covered (`"@method" "@target-uri"`, and with a body
 * `"content-digest" "content-type"`), nonce/created/keyid are missing,
 * created is outside ±maxSkewSeconds, the keyid is unknown, the body does
 * not match Content-Digest, or the signature does not verify. `body` must be
 * the raw bytes received; check them here before parsing any JSON.
 * Does not remember nonces: the caller checks `nonce` for replay.
 * Pure and synchronous; safe to call concurrently.
 */
export function verifyRequest(
  request: RequestParts,
  resolveKey: KeyResolver,
  options: VerifyOptions,
): VerifiedRequest {
  const required = ['"@method"', '"@target-uri"'];
  if (hasBody(request.body)) required.push('"content-digest"', '"content-type"');
  const verified = verifyMessage(
    { message: { request }, signed: request, required, requireNonce: true },
    resolveKey,
    options,
  );
  return verified as VerifiedRequest;
}

/**
 * Verifies a response to `request` (the request as this node sent it: the
 * same method, target URI and body bytes). Requires `"@status"
 * "@method";req "@target-uri";req`, `"content-digest"` with a response
 * body and `"content-digest";req` when the request had a body (see
 * signResponse). Throws UNAUTHENTICATED like verifyRequest; a nonce is
 * optional. The caller checks that `participantId` is the peer it called.
 */
export function verifyResponse(
  response: ResponseParts,
  request: RequestParts,
  resolveKey: KeyResolver,
  options: VerifyOptions,
): VerifiedSignature {
  const required = ['"@status"'];
  if (hasBody(response.body)) required.push('"content-digest"');
  required.push('"@method";req', '"@target-uri";req');
  if (hasBody(request.body)) {
    required.push('"content-digest";req');
    // The binding is only as good as the request digest: it must be the
    // digest of the body this node sent, not just whatever header it holds.
    const sent = readHeader(request.headers, 'content-digest');
    if (sent !== undefined) checkContentDigest(sent, request.body);
  }
  const message = { request: requestWithDigest(request), response };
  return verifyMessage(
    { message, signed: response, required, requireNonce: false },
    resolveKey,
    options,
  );
}

interface VerifyTarget {
  message: MessageContext;
  /** The message whose Signature fields, Content-Digest and body are checked. */
  signed: RequestParts | ResponseParts;
  /** Serialized component identifiers the signature must cover. */
  required: readonly string[];
  requireNonce: boolean;
}

function verifyMessage(
  { message, signed, required, requireNonce }: VerifyTarget,
  resolveKey: KeyResolver,
  options: VerifyOptions,
): VerifiedSignature {
  const { headers, body } = signed;
  const tag = options.requiredTag ?? SIGNATURE_TAG;
  const selected = selectSignature(headers, { tag });
  const params = readSignatureParams(selected.signatureParams);
  if (requireNonce && params.nonce === undefined)
    throw signatureRejected('nonce parameter is missing');

  const covered = selected.signatureParams[0].map((item) => componentIdentifier(item));
  for (const component of required) {
    if (!covered.includes(component))
      throw signatureRejected(`signature does not cover ${component}`);
  }

  checkFreshness(params.created, params.expires, options);

  const resolved = resolveKey(params.keyid);
  if (resolved === undefined) throw signatureRejected(`unknown keyid "${params.keyid}"`);

  // The digest is checked on the raw bytes whether or not the body is empty,
  // whenever the field is present: a covered digest that lies is a forgery.
  const contentDigest = readHeader(headers, 'content-digest');
  if (hasBody(body) || contentDigest !== undefined) checkContentDigest(contentDigest, body);

  // The same text ends the signature base and is kept as evidence.
  const serializedParams = serializeInnerList(selected.signatureParams);
  const signatureBase = buildBase(selected, message, serializedParams);
  if (!verifySignatureBase(signatureBase, selected.signature, resolved.key)) {
    throw signatureRejected(`signature does not verify with key "${params.keyid}"`);
  }
  return {
    label: selected.label,
    keyId: params.keyid,
    participantId: resolved.participantId,
    created: new Date(params.created * 1000),
    nonce: params.nonce,
    coveredComponents: covered,
    evidence: {
      signatureInput: serializeSignatureInput(selected.label, serializedParams),
      signature: serializeSignature(selected.label, selected.signature),
      contentDigest,
      signatureBase,
    },
  };
}

function checkFreshness(
  created: number,
  expires: number | undefined,
  options: VerifyOptions,
): void {
  const maxSkew = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (created > nowSeconds + maxSkew) {
    throw signatureRejected(`created ${created} is more than ${maxSkew} s in the future`);
  }
  if (created < nowSeconds - maxSkew) {
    throw signatureRejected(`created ${created} is more than ${maxSkew} s old (expired)`);
  }
  if (expires !== undefined && expires < nowSeconds) {
    throw signatureRejected(`signature expired at ${expires}`);
  }
}

function buildBase(
  selected: SelectedSignature,
  message: MessageContext,
  serializedParams: string,
): string {
  try {
    return buildSignatureBase(selected.signatureParams, message, serializedParams);
  } catch (err) {
    if (err instanceof ComponentError) throw signatureRejected(err.message);
    throw err;
  }
}
