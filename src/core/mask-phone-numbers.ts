/**
 * Phone numbers never appear in clear in logs (R11). Any E.164 number with a
 * plus sign, and any bare Russian 11-digit mobile number, is masked to its
 * country code and first three digits plus the last two: `+7916*****67`.
 */
const E164 = /\+(\d{4})(\d{4,11})(\d{2})(?!\d)/g;
const BARE_RU_MOBILE = /(?<!\d|\d[.-])([78]9\d{2})(\d{5})(\d{2})(?!\d|[.-]\d)/g;

export function maskPhoneNumbers(text: string): string {
  return text
    .replace(E164, (_m, head: string, middle: string, tail: string) => {
      return `+${head}${'*'.repeat(middle.length)}${tail}`;
    })
    .replace(BARE_RU_MOBILE, (_m, head: string, middle: string, tail: string) => {
      return `${head}${'*'.repeat(middle.length)}${tail}`;
    });
}

/** Masks every string inside a log record, however deep. */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhoneNumbers(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      type: value.name,
      message: maskPhoneNumbers(value.message),
      stack: value.stack === undefined ? undefined : maskPhoneNumbers(value.stack),
      ...(maskDeep({ ...value }, depth + 1) as object),
    };
  }
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}
