import { percentile, round } from '../harness/benchmark.js';
import type { CpuSpent } from './cpu-meter.js';
import type { ConcurrentRun } from './run-concurrent.js';

/**
 * Sums one kind of measured burst (HTTP or baseline) over the alternating
 * rounds of a benchmark: alternating the two in one run keeps a noisy shared
 * machine from favouring whichever ran in the quieter minute.
 */
export interface PhaseTotals {
  add(
    run: ConcurrentRun & { results?: Record<string, number>; clientCpuMs?: number },
    cpu: CpuSpent,
    units: number,
  ): void;
  readonly units: number;
  readonly failures: number;
  readonly firstErrors: string[];
  readonly results: Record<string, number>;
  /** Units (requests, or numbers for batches) per second of wall time. */
  perSecond(): number;
  p(percent: number): number;
  /** CPU milliseconds per `per` units, by who spent them. */
  cpuPer(per: number): {
    selfMs: number;
    selfSystemMs: number;
    clientMs: number;
    postgresMs: number;
    machineBusyPercent: number;
  };
}

export function createPhaseTotals(): PhaseTotals {
  const latencies: number[] = [];
  const results: Record<string, number> = {};
  const firstErrors: string[] = [];
  let units = 0;
  let failures = 0;
  let elapsedMs = 0;
  let clientMs = 0;
  const cpu: CpuSpent = {
    selfMs: 0,
    selfSystemMs: 0,
    postgresMs: 0,
    machineBusyMs: 0,
    machineTotalMs: 0,
  };
  return {
    add(run, spent, n) {
      latencies.push(...run.latenciesMs);
      units += n;
      failures += run.failures;
      firstErrors.push(...run.firstErrors.slice(0, 5 - firstErrors.length));
      elapsedMs += run.elapsedMs;
      clientMs += run.clientCpuMs ?? 0;
      for (const [k, v] of Object.entries(run.results ?? {})) results[k] = (results[k] ?? 0) + v;
      cpu.selfMs += spent.selfMs;
      cpu.selfSystemMs += spent.selfSystemMs;
      cpu.postgresMs += spent.postgresMs;
      cpu.machineBusyMs += spent.machineBusyMs;
      cpu.machineTotalMs += spent.machineTotalMs;
    },
    get units() {
      return units;
    },
    get failures() {
      return failures;
    },
    firstErrors,
    results,
    perSecond: () => (elapsedMs > 0 ? (units / elapsedMs) * 1000 : 0),
    p: (percent) => round(percentile(latencies, percent), 1),
    cpuPer(per) {
      const k = units > 0 ? per / units : 0;
      return {
        selfMs: round(cpu.selfMs * k, 3),
        selfSystemMs: round(cpu.selfSystemMs * k, 3),
        clientMs: round(clientMs * k, 3),
        postgresMs: round(cpu.postgresMs * k, 3),
        machineBusyPercent:
          cpu.machineTotalMs > 0 ? round((cpu.machineBusyMs / cpu.machineTotalMs) * 100, 0) : 0,
      };
    },
  };
}

/** Statement timings as `label → "avg ms per call × calls (share %)"`, largest first. */
export function describeStatements(
  statementMs: Map<string, { ms: number; calls: number }>,
): Record<string, string> {
  const total = [...statementMs.values()].reduce((a, s) => a + s.ms, 0);
  return Object.fromEntries(
    [...statementMs]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([label, s]) => [
        label,
        `${round(s.ms / s.calls, 3)} ms × ${s.calls} (${round((s.ms / total) * 100, 1)}%)`,
      ]),
  );
}
