import { serializeInnerList } from 'structured-headers';
import { IdbridgeError } from '../../core/errors.js';
import { takeRandomBytes } from '../../core/random-pool.js';
import { computeContentDigest, hasBody } from './content-digest.js';
import { readHeader, withHeaders } from './header-values.js';
import {
  buildSignatureBase,
  type MessageContext,
  type RequestParts,
  type ResponseParts,
} from './signature-base.js';
import { ComponentError } from './signature-errors.js';
import {
  type ComponentSpec,
  createSignatureParams,
  type SignatureParams,
  serializeSignature,
  serializeSignatureInput,
  signSignatureBase,
} from './signature-fields.js';
import type { Signer } from './signing-keys.js';

/** protocol.md §1: every idbridge signature carries this tag. */
export const SIGNATURE_TAG = 'idbridge-v1';
/** The label idbridge signs under; verifiers select by tag, not label. */
export const SIGNATURE_LABEL = 'sig1';

/** Headers to add to the outgoing message (lower-case names). */
export interface SignatureHeaders {
  'content-digest'?: string;
  'signature-input': string;
  signature: string;
}

export interface SignOptions {
  /** When the signature is made; written as whole Unix seconds. */
  created: Date;
  /** Defaults to 128 random bits. Receivers refuse a nonce seen in the window. */
  nonce?: string;
  tag?: string;
  label?: string;
}

/**
 * 128 random bits, base64url: the replay guard on each request (protocol.md
 * §1). From the shared CSPRNG pool: a system call per request cost more than
 * the rest of the nonce.
 */
export function newSignatureNonce(): string {
  const bytes = takeRandomBytes(16);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Signs an outgoing request (protocol.md §1): covers `"@method"
 * "@target-uri"`, plus `"content-digest" "content-type"` when there is a
 * body; parameters created, keyid, nonce, tag. No `alg`: the key named by
 * keyid is Ed25519, which fixes the algorithm (RFC 9421 §3.2). The body must
 * be the exact bytes that will be sent. Pure apart from the random nonce.
 */
export function signRequest(
  request: RequestParts,
  signer: Signer,
  options: SignOptions,
): SignatureHeaders {
  const components: ComponentSpec[] = ['@method', '@target-uri'];
  let contentDigest: string | undefined;
  let message: MessageContext = { request };
  if (hasBody(request.body)) {
    contentDigest = computeContentDigest(request.body);
    components.push('content-digest', 'content-type');
    message = {
      request: {
        ...request,
        headers: withHeaders(request.headers, { 'content-digest': contentDigest }),
      },
    };
  }
  const params = baseParams(signer, options, options.nonce ?? newSignatureNonce());
  return finish(message, components, params, signer, options, contentDigest);
}

/**
 * Signs a response to `request` (protocol.md §1, R10): covers `"@status"`,
 * `"content-digest"` when there is a body, and `"@method";req
 * "@target-uri";req`. When the request had a body it also covers
 * `"content-digest";req`, so the signed answer names the exact request it
 * answers (all identification requests share one target URI). `request` is
 * the request as received; its Content-Digest is taken from its headers, or
 * computed from its body if the headers lack it.
 */
export function signResponse(
  response: ResponseParts,
  request: RequestParts,
  signer: Signer,
  options: SignOptions,
): SignatureHeaders {
  const components: ComponentSpec[] = ['@status'];
  let contentDigest: string | undefined;
  let resp = response;
  if (hasBody(response.body)) {
    contentDigest = computeContentDigest(response.body);
    components.push('content-digest');
    resp = {
      ...response,
      headers: withHeaders(response.headers, { 'content-digest': contentDigest }),
    };
  }
  components.push({ name: '@method', req: true }, { name: '@target-uri', req: true });
  if (hasBody(request.body)) components.push({ name: 'content-digest', req: true });
  const message = { request: requestWithDigest(request), response: resp };
  return finish(
    message,
    components,
    baseParams(signer, options, options.nonce),
    signer,
    options,
    contentDigest,
  );
}

/** The request with a Content-Digest header if it has a body (see signResponse). */
export function requestWithDigest(request: RequestParts): RequestParts {
  if (!hasBody(request.body) || readHeader(request.headers, 'content-digest') !== undefined) {
    return request;
  }
  const digest = computeContentDigest(request.body);
  return { ...request, headers: withHeaders(request.headers, { 'content-digest': digest }) };
}

/**
 * Signs any message with the given components and parameters. The building
 * block of signRequest/signResponse, exported for tests and interop checks.
 */
export function createMessageSignature(
  message: MessageContext,
  label: string,
  components: readonly ComponentSpec[],
  params: SignatureParams,
  privateKey: Signer['privateKey'],
): { signatureInput: string; signature: string; signatureBase: string } {
  const signatureParams = createSignatureParams(components, params);
  // The same text ends the signature base and fills Signature-Input.
  const serializedParams = serializeInnerList(signatureParams);
  let signatureBase: string;
  try {
    signatureBase = buildSignatureBase(signatureParams, message, serializedParams);
  } catch (err) {
    if (err instanceof ComponentError) {
      throw new IdbridgeError('INTERNAL', `cannot sign message: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return {
    signatureInput: serializeSignatureInput(label, serializedParams),
    signature: serializeSignature(label, signSignatureBase(signatureBase, privateKey)),
    signatureBase,
  };
}

function baseParams(
  signer: Signer,
  options: SignOptions,
  nonce: string | undefined,
): SignatureParams {
  return {
    created: Math.floor(options.created.getTime() / 1000),
    keyid: signer.keyId,
    nonce,
    tag: options.tag ?? SIGNATURE_TAG,
  };
}

function finish(
  message: MessageContext,
  components: readonly ComponentSpec[],
  params: SignatureParams,
  signer: Signer,
  options: SignOptions,
  contentDigest: string | undefined,
): SignatureHeaders {
  const label = options.label ?? SIGNATURE_LABEL;
  const { signatureInput, signature } = createMessageSignature(
    message,
    label,
    components,
    params,
    signer.privateKey,
  );
  const headers: SignatureHeaders = { 'signature-input': signatureInput, signature };
  if (contentDigest !== undefined) headers['content-digest'] = contentDigest;
  return headers;
}
