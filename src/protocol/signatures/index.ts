/**
 * HTTP Message Signatures (RFC 9421 subset, Ed25519) and Content-Digest
 * (RFC 9530) for the idbridge wire protocol (protocol.md §1). Framework-free:
 * the HTTP server and client adapt their messages to RequestParts /
 * ResponseParts and call signRequest/verifyRequest, signResponse/verifyResponse.
 * Replay (nonce) tracking is the caller's: verify returns nonce and created.
 */
export { type BodyBytes, checkContentDigest, computeContentDigest } from './content-digest.js';
export type { HeaderRecord, HeaderSource } from './header-values.js';
export { readPrivateJwkFile, writePrivateJwkFile } from './key-files.js';
export {
  createKeyResolver,
  createPublicKeyCache,
  type KeyHolder,
  type KeyResolver,
  type PublicKeyCache,
  type ResolvedKey,
} from './key-resolver.js';
export {
  createMessageSignature,
  newSignatureNonce,
  SIGNATURE_LABEL,
  SIGNATURE_TAG,
  type SignatureHeaders,
  type SignOptions,
  signRequest,
  signResponse,
} from './sign-message.js';
export {
  buildSignatureBase,
  type MessageContext,
  type RequestParts,
  type ResponseParts,
} from './signature-base.js';
export { type SignatureConfig, SignatureConfigSchema } from './signature-config.js';
export {
  type ComponentSpec,
  createSignatureParams,
  type SignatureParams,
  selectSignature,
  signSignatureBase,
  verifySignatureBase,
} from './signature-fields.js';
export {
  createSigner,
  generateSigningKeyPair,
  importPrivateJwk,
  importPublicJwk,
  type PrivateJwk,
  type PublicJwk,
  type Signer,
  toPublicJwk,
} from './signing-keys.js';
export {
  type VerifiedRequest,
  type VerifiedSignature,
  type VerifyOptions,
  verifyRequest,
  verifyResponse,
} from './verify-message.js';
