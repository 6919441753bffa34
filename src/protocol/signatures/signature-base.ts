import type { InnerList, Item } from 'structured-headers';
import { serializeInnerList, serializeItem } from 'structured-headers';
import type { BodyBytes } from './content-digest.js';
import { type HeaderSource, readHeader } from './header-values.js';
import { ComponentError } from './signature-errors.js';

export interface RequestParts {
  method: string;
  /** The full target URI, scheme and authority included: `https://op.example/v1/x?y=1`. */
  targetUri: string;
  headers: HeaderSource;
  body?: BodyBytes | undefined;
}

export interface ResponseParts {
  status: number;
  headers: HeaderSource;
  body?: BodyBytes | undefined;
}

/**
 * The message a signature belongs to. With `response` set the signature is
 * the response's: plain components come from the response and components
 * with the `req` parameter from `request` (RFC 9421 §2.4).
 */
export interface MessageContext {
  request: RequestParts;
  response?: ResponseParts | undefined;
}

/**
 * The signature base (RFC 9421 §2.5): one line per covered component,
 * `"name";params: value`, then the `"@signature-params"` line, lines joined
 * by LF with none after the last. `signatureParams` is the signature's entry
 * in Signature-Input (covered components and parameters); it is serialized
 * again here, which yields the canonical form the RFC asks for.
 *
 * Supported: the derived components of §2.2 except `@query-param`, header
 * fields without parameters, and the `req` parameter. Anything else throws
 * ComponentError, as does a component the message lacks or a duplicate.
 */
export function buildSignatureBase(
  signatureParams: InnerList,
  message: MessageContext,
  /** `serializeInnerList(signatureParams)`, when the caller has it already. */
  serializedParams?: string,
): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  const urls = new UrlCache();
  for (const item of signatureParams[0]) {
    const identifier = componentIdentifier(item);
    if (seen.has(identifier)) throw new ComponentError(`component ${identifier} is listed twice`);
    seen.add(identifier);
    const value = componentValue(item, message, urls);
    if (/[\r\n]/.test(value))
      throw new ComponentError(`component ${identifier} contains a line break`);
    lines.push(`${identifier}: ${value}`);
  }
  lines.push(`"@signature-params": ${serializedParams ?? serializeInnerList(signatureParams)}`);
  return lines.join('\n');
}

// sf-string characters that need no escaping: printable ASCII but `"` and `\`.
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A covered component's identifier as serialized (`"content-digest"`,
 * `"@method";req`). Every component idbridge signs or accepts is such a
 * plain name with no parameter or `req`, and is written directly, which is
 * the whole of RFC 8941's string serialization for it; anything else goes
 * to the library.
 */
export function componentIdentifier(item: Item): string {
  const [name, params] = item;
  if (typeof name === 'string' && PLAIN_STRING.test(name)) {
    if (params.size === 0) return `"${name}"`;
    if (params.size === 1 && params.get('req') === true) return `"${name}";req`;
  }
  return serializeItem(item);
}

function componentValue(item: Item, message: MessageContext, urls: UrlCache): string {
  const [name, params] = item;
  if (typeof name !== 'string') throw new ComponentError('a component identifier is not a string');
  for (const [key, value] of params) {
    if (key !== 'req' || value !== true) {
      throw new ComponentError(`component "${name}" has unsupported parameter "${key}"`);
    }
  }
  const fromRequest = params.has('req');
  if (fromRequest && message.response === undefined) {
    throw new ComponentError(`component "${name}";req is only meaningful on a response`);
  }
  const request = message.request;
  const response = fromRequest ? undefined : message.response;

  if (!name.startsWith('@')) {
    if (name !== name.toLowerCase()) {
      throw new ComponentError(`header component "${name}" must be lower case`);
    }
    const value = readHeader((response ?? request).headers, name);
    if (value === undefined) throw new ComponentError(`covered header "${name}" is absent`);
    return value;
  }
  if (name === '@status') {
    if (response === undefined) throw new ComponentError('"@status" needs a response');
    return String(response.status).padStart(3, '0');
  }
  if (response !== undefined) {
    // Request-derived components on a response must carry `req` (§2.2).
    throw new ComponentError(`component "${name}" on a response needs the req parameter`);
  }
  switch (name) {
    case '@method':
      return request.method;
    case '@target-uri':
      return request.targetUri;
    case '@authority':
      // WHATWG URL lower-cases the host and drops a default port (§2.2.3).
      return urls.parse(request.targetUri).host;
    case '@scheme':
      return urls.parse(request.targetUri).protocol.slice(0, -1);
    case '@request-target': {
      const url = urls.parse(request.targetUri);
      return `${url.pathname}${url.search}`;
    }
    case '@path':
      return urls.parse(request.targetUri).pathname || '/';
    case '@query':
      // An absent or empty query is the lone "?" (§2.2.7).
      return urls.parse(request.targetUri).search || '?';
    default:
      throw new ComponentError(`derived component "${name}" is not supported`);
  }
}

/** Parses the target URI at most once per signature base. */
class UrlCache {
  private url: URL | undefined;
  parse(targetUri: string): URL {
    if (this.url === undefined) {
      try {
        this.url = new URL(targetUri);
      } catch {
        throw new ComponentError(`target URI "${targetUri}" is not absolute`);
      }
    }
    return this.url;
  }
}
