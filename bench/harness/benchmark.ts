/**
 * A benchmark module default-exports `run`. Figures are keyed by what and
 * which unit (`lookupsPerSecond`, `p99Ms`, `rssMb`); the harness prints them
 * as a table and writes them to `bench/results/NAME.json`.
 */
export interface BenchmarkContext {
  /** Arguments after the benchmark name, e.g. `npm run bench -- routing --quick`. */
  args: string[];
  /** Progress lines for long set-up; goes to stderr so tables stay clean. */
  progress(message: string): void;
}

export interface BenchmarkFigure {
  key: string;
  value: number;
  /** What the figure means, for the printed table. */
  label: string;
}

export interface BenchmarkResult {
  figures: BenchmarkFigure[];
  /** Anything else worth keeping with the figures (sizes, settings). */
  parameters?: Record<string, unknown>;
}

export type Benchmark = (ctx: BenchmarkContext) => Promise<BenchmarkResult>;

/** Resident set size now, in MiB. */
export function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Percentile of an unsorted sample (nearest rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
