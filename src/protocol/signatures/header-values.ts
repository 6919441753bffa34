/**
 * Header access that works the same for Node's `IncomingHttpHeaders`
 * (lower-case keys, arrays for repeated fields), plain records written by
 * hand (any case) and the fetch `Headers` class, so the signature code stays
 * framework-free.
 */
export type HeaderRecord = Readonly<
  Record<string, string | number | readonly string[] | undefined>
>;
export type HeaderSource = Headers | HeaderRecord;

/**
 * All values of one field, each trimmed of surrounding whitespace, joined
 * with ", " (RFC 9421 §2.1 / RFC 9110 §5.3). `undefined` when the field is
 * absent. `name` must be lower case.
 */
export function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) {
    // fetch's Headers already combines repeated fields with ", ".
    const value = headers.get(name);
    return value === null ? undefined : joinValues([value]);
  }
  let raw = headers[name];
  if (raw === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        raw = headers[key];
        break;
      }
    }
  }
  if (raw === undefined) return undefined;
  if (typeof raw === 'number') return String(raw);
  if (typeof raw === 'string') return raw.trim();
  return raw.length === 0 ? undefined : joinValues(raw);
}

function joinValues(values: readonly string[]): string {
  return values.map((v) => v.trim()).join(', ');
}

/** Copy of `headers` with `extra` (lower-case names) laid over it. */
export function withHeaders(
  headers: HeaderSource,
  extra: Readonly<Record<string, string>>,
): HeaderSource {
  if (headers instanceof Headers) {
    const copy = new Headers(headers);
    for (const [k, v] of Object.entries(extra)) copy.set(k, v);
    return copy;
  }
  const copy: Record<string, string | number | readonly string[] | undefined> = {};
  const overridden = new Set(Object.keys(extra));
  for (const [k, v] of Object.entries(headers)) {
    if (!overridden.has(k.toLowerCase())) copy[k] = v;
  }
  return { ...copy, ...extra };
}
