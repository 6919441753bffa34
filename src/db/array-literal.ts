const NEEDS_ESCAPE = /["\\]/;

/**
 * A flat array of strings, numbers, bigints, booleans and nulls as a
 * PostgreSQL array literal, the text node-postgres would send for it; or
 * undefined when an element is anything else (left to node-postgres).
 *
 * Why: the set-based statements pass arrays of up to 10,000 elements (a legacy
 * batch sends a dozen), and node-postgres formats each element with two
 * regular-expression replacements and several type checks; that was 8% of
 * the operator's CPU per batch (bench operator-batch). Here an element is
 * escaped only when it holds a quote or backslash.
 */
export function scalarArrayLiteral(values: readonly unknown[]): string | undefined {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'string') {
      out += NEEDS_ESCAPE.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`;
    } else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
      out += `"${String(v)}"`;
    } else return undefined;
  }
  return `${out}}`;
}
