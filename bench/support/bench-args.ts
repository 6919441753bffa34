/**
 * `--name N` from a benchmark's arguments: a positive integer, else undefined
 * (so a typo falls back to the default rather than running a zero-size bench).
 */
export function intArg(args: readonly string[], name: string): number | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} needs a positive integer, got ${JSON.stringify(args[i + 1])}`);
  }
  return value;
}

/** The PostgreSQL the benchmarks use: DATABASE_URL or the local test server. */
export function benchDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** `--name VALUE` as text, or undefined when absent. */
export function stringArg(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}
