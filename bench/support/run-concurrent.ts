export interface ConcurrentRun {
  /** One per successful call, in completion order. */
  latenciesMs: number[];
  elapsedMs: number;
  failures: number;
  /** The first few failure messages, to tell a broken run from a slow one. */
  firstErrors: string[];
}

/**
 * Calls `fn` once per item with `concurrency` workers pulling the next item
 * as soon as they are free (closed-loop load), timing each call.
 */
export async function runConcurrent<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, worker: number) => Promise<void>,
): Promise<ConcurrentRun> {
  const latenciesMs: number[] = [];
  const firstErrors: string[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (w: number) => {
    while (next < items.length) {
      const item = items[next++] as T;
      const t0 = performance.now();
      try {
        await fn(item, w);
        latenciesMs.push(performance.now() - t0);
      } catch (err) {
        failures++;
        if (firstErrors.length < 5)
          firstErrors.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, (_, w) => worker(w)));
  return { latenciesMs, elapsedMs: performance.now() - started, failures, firstErrors };
}
