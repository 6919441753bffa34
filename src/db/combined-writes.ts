import type { Queryable } from './port.js';

/**
 * One write of a combined statement: SQL with its own `$1…$n` placeholders.
 * A write whose effect the caller must check ends in `RETURNING 1` and sets
 * `counted`; the combined statement then returns how many rows it touched.
 */
export interface WritePart {
  /** A lower-case SQL identifier, unique within the statement (the CTE name). */
  name: string;
  sql: string;
  params: readonly unknown[];
  counted?: boolean;
}

const NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Several independent writes as one statement of data-modifying CTEs: one
 * round trip instead of one per write, which on the operator's decision path
 * is most of the cost (every round trip is a socket write and read on both
 * sides). The parts see the same snapshot and none sees the rows another
 * writes, so only combine writes that do not depend on each other's effects;
 * foreign keys between them are fine (checked at the end of the statement).
 * A part may be a plain SELECT that later parts read by its name (the audit
 * append locks and reads its chain head that way).
 *
 * Placeholders are renumbered by offset; the parts' SQL must not hold `$n`
 * inside literals (ours never does).
 */
export function combineWrites(parts: readonly WritePart[]): { sql: string; params: unknown[] } {
  if (parts.length === 0) throw new Error('combineWrites needs at least one write');
  const params: unknown[] = [];
  const seen = new Set<string>();
  const ctes = parts.map((part) => {
    if (!NAME.test(part.name) || seen.has(part.name)) {
      throw new Error(`combineWrites: bad or repeated write name ${JSON.stringify(part.name)}`);
    }
    seen.add(part.name);
    const sql = shiftPlaceholders(part, params.length);
    params.push(...part.params);
    return `${part.name} AS (${sql})`;
  });
  const counts = parts
    .filter((part) => part.counted)
    .map((part) => `(SELECT count(*) FROM ${part.name})::int AS ${part.name}`);
  return {
    sql: `WITH ${ctes.join(',\n')}\nSELECT ${counts.length > 0 ? counts.join(', ') : '1 AS done'}`,
    params,
  };
}

/** The part's SQL with `$n` renumbered to `$(n + offset)`, for a statement whose first `offset` params are another's. */
export function shiftPlaceholders(part: WritePart, offset: number): string {
  return part.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n);
    if (index < 1 || index > part.params.length) {
      throw new Error(
        `combineWrites: ${part.name} uses $${n} but has ${part.params.length} params`,
      );
    }
    return `$${index + offset}`;
  });
}

/** Runs `combineWrites(parts)`; returns the row counts of the counted parts by name. */
export async function runCombinedWrites(
  tx: Queryable,
  parts: readonly WritePart[],
): Promise<Record<string, number>> {
  const { sql, params } = combineWrites(parts);
  const { rows } = await tx.query<Record<string, number>>(sql, params);
  const counts: Record<string, number> = {};
  for (const part of parts) {
    if (part.counted) counts[part.name] = Number(rows[0]?.[part.name] ?? 0);
  }
  return counts;
}
