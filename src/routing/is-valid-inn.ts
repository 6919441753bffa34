/**
 * Russian taxpayer number check: 10 digits for an organization, 12 for an
 * individual entrepreneur, with the Federal Tax Service check digits.
 */
const W10 = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const W11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const W12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

export function isValidInn(inn: string): boolean {
  if (!/^(\d{10}|\d{12})$/.test(inn)) return false;
  const d = [...inn].map(Number);
  const check = (weights: number[]): number =>
    (weights.reduce((sum, w, i) => sum + w * (d[i] as number), 0) % 11) % 10;
  if (d.length === 10) return check(W10) === d[9];
  return check(W11) === d[10] && check(W12) === d[11];
}
