import { readFileSync } from 'node:fs';
import type { Queryable } from '../../src/db/port.js';

/**
 * CPU time spent during a measured window, split by who spent it: this
 * process (the node under test, or the in-process baseline), the PostgreSQL
 * server processes on this machine, and the whole machine. Linux only (reads
 * /proc); elsewhere the PostgreSQL and machine figures are 0. A remote
 * DATABASE_URL shows 0 for PostgreSQL.
 */
export interface CpuSpent {
  selfMs: number;
  /** The kernel's share of selfMs (syscalls: socket reads and writes). */
  selfSystemMs: number;
  postgresMs: number;
  /** Busy CPU time of all cores (other helpers' work included). */
  machineBusyMs: number;
  /** Wall time × cores: the CPU time that was available. */
  machineTotalMs: number;
}

// USER_HZ: 100 on every mainstream Linux build.
const TICK_MS = 10;

/** utime + stime of one process, in ticks; undefined when it is gone. */
function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], [12] are utime and stime (stat fields 14 and 15).
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL server processes working for this benchmark: backends of
 * connections whose application_name starts with `idbridge-bench` (the
 * node's and the baseline's pools set it) and the shared WAL writer,
 * checkpointer and background writer. Other helpers' backends on the same
 * server are left out.
 */
async function benchPostgresPids(db: Queryable): Promise<number[]> {
  try {
    const { rows } = await db.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE application_name LIKE 'idbridge-bench%'
          OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
    );
    return rows.map((r) => r.pid);
  } catch {
    return [];
  }
}

function machineTicks(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/**
 * Starts a window; the returned function ends it and reports the CPU spent.
 * `db` (any connection to the server) finds the PostgreSQL processes to count;
 * a backend that exits within the window takes its ticks with it, so the
 * PostgreSQL figure is a lower bound when pools close idle connections.
 */
export async function startCpuMeter(db: Queryable): Promise<() => Promise<CpuSpent>> {
  const pg0 = new Map<number, number>();
  for (const pid of await benchPostgresPids(db)) {
    const t = processTicks(pid);
    if (t !== undefined) pg0.set(pid, t);
  }
  const self0 = process.cpuUsage();
  const m0 = machineTicks();
  return async () => {
    const self = process.cpuUsage(self0);
    const m1 = machineTicks();
    let pgTicks = 0;
    for (const pid of new Set([...pg0.keys(), ...(await benchPostgresPids(db))])) {
      const t = processTicks(pid);
      // A backend that appeared within the window spent all its ticks in it.
      if (t !== undefined) pgTicks += Math.max(0, t - (pg0.get(pid) ?? 0));
    }
    return {
      selfMs: (self.user + self.system) / 1000,
      selfSystemMs: self.system / 1000,
      postgresMs: pgTicks * TICK_MS,
      machineBusyMs: (m1.busy - m0.busy) * TICK_MS,
      machineTotalMs: (m1.total - m0.total) * TICK_MS,
    };
  };
}
