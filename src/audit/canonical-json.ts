/**
 * The canonical encoding the audit hashes are computed over: JSON with object
 * keys sorted (recursively), no whitespace, `undefined` members dropped, Dates
 * as ISO-8601 strings. Stable across processes, drivers and jsonb round trips
 * (jsonb reorders keys; sorting makes that irrelevant).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error('audit data must not hold NaN or Infinity');
  }
  return value;
}
