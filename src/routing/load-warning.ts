/**
 * A row a loader skipped, or a file-level remark, with where it came from.
 * Messages never quote a subscriber number (R11); plan rows hold ranges,
 * not subscribers, and may be quoted.
 */
export interface LoadWarning {
  file: string;
  /** 1-based line number; 0 for a remark about the whole file. */
  line: number;
  message: string;
}

export function formatLoadWarning(w: LoadWarning): string {
  return w.line > 0 ? `${w.file}:${w.line}: ${w.message}` : `${w.file}: ${w.message}`;
}

/**
 * Collects warnings, keeping at most `limit` in memory (a wholly broken
 * multi-million-row file must not hold a warning per row) while counting all.
 * Every warning is still passed to `onWarning` if given.
 */
export class LoadWarningCollector {
  readonly kept: LoadWarning[] = [];
  total = 0;
  constructor(
    private readonly limit = 1000,
    private readonly onWarning?: (w: LoadWarning) => void,
  ) {}

  add(file: string, line: number, message: string): void {
    this.total++;
    const w = { file, line, message };
    if (this.kept.length < this.limit) this.kept.push(w);
    this.onWarning?.(w);
  }
}
