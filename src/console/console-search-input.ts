/** R5: identification codes are opaque, 16–64 of [A-Za-z0-9_-] (protocol.md). */
const CODE = /^[A-Za-z0-9_-]{16,64}$/;

export function identificationCodeOrNull(query: string): string | null {
  const trimmed = query.trim();
  return CODE.test(trimmed) ? trimmed : null;
}
