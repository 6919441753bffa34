import { readFileSync } from 'node:fs';
import type { Queryable } from '../../src/db/port.js';

/**
 * CPU spent in a measured window by this process, by the PostgreSQL
 * backends of connections whose application_name starts with `appPrefix`
 * (unique per run, so other helpers' benchmarks on the same server are left
 * out — unlike cpu-meter.ts, which counts every `idbridge-bench%` backend and
 * the shared WAL writer), and by the whole machine. Linux only (reads /proc).
 */
export interface RunCpu {
  selfMs: number;
  postgresMs: number;
  /** Busy share of all cores over the window (other helpers' work included). */
  machineBusyPercent: number;
}

const TICK_MS = 10; // USER_HZ = 100

function ticksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return undefined;
  }
}

function machine(): { busy: number; total: number } {
  try {
    const v = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

async function backendPids(db: Queryable, appPrefix: string): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE starts_with(application_name, $1)',
    [appPrefix],
  );
  return rows.map((r) => r.pid);
}

/** Starts a window; the returned function ends it. A backend gone mid-window takes its ticks along. */
export async function startRunCpuMeter(
  db: Queryable,
  appPrefix: string,
): Promise<() => Promise<RunCpu>> {
  const pg0 = new Map<number, number>();
  for (const pid of await backendPids(db, appPrefix)) {
    const t = ticksOf(pid);
    if (t !== undefined) pg0.set(pid, t);
  }
  const self0 = process.cpuUsage();
  const m0 = machine();
  return async () => {
    const self = process.cpuUsage(self0);
    const m1 = machine();
    let pgTicks = 0;
    for (const pid of new Set([...pg0.keys(), ...(await backendPids(db, appPrefix))])) {
      const t = ticksOf(pid);
      if (t !== undefined) pgTicks += Math.max(0, t - (pg0.get(pid) ?? 0));
    }
    const total = m1.total - m0.total;
    return {
      selfMs: (self.user + self.system) / 1000,
      postgresMs: pgTicks * TICK_MS,
      machineBusyPercent: total > 0 ? Math.round((100 * (m1.busy - m0.busy)) / total) : 0,
    };
  };
}
