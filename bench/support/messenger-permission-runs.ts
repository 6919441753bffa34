import { join } from 'node:path';
import type { Queryable } from '../../src/db/port.js';
import { percentile, round, rssMb } from '../harness/benchmark.js';
import { startCpuProfile } from './cpu-profile.js';
import { BENCH_APP_TOKEN, startMessengerBenchNodes } from './messenger-bench-nodes.js';
import { startRunCpuMeter } from './messenger-cpu-meter.js';
import type { MessengerLoadClient } from './messenger-load.js';
import { countingDatabase } from './messenger-users.js';

/** A server answering GET /app/v1/users/:id/permission for one measured run. */
export interface PermissionTarget {
  url: string;
  /** Database reads for permission answers so far (absent: no database). */
  reads?: () => number;
  /** application_name prefix of its PostgreSQL connections (messenger-cpu-meter.ts). */
  appPrefix?: string;
  stop(): Promise<void>;
}

interface DbPlace {
  url: string;
  schema: string;
  poolSize: number;
}

/** A messenger node as production wires it, with `messenger.permissionCacheMs` set. */
export async function startNodeTarget(
  place: DbPlace,
  permissionCacheMs: number,
): Promise<PermissionTarget> {
  let db: ReturnType<typeof countingDatabase> | undefined;
  const nodes = await startMessengerBenchNodes({
    url: place.url,
    messengerSchema: place.schema,
    poolSize: place.poolSize,
    overrides: { messenger: { permissionCacheMs } },
    wrapMessengerDb: (raw) => {
      db = countingDatabase(raw, 'SELECT user_id, state FROM users WHERE user_id');
      return db;
    },
  });
  return {
    url: nodes.appUrl,
    reads: () => db?.count() ?? 0,
    appPrefix: nodes.appPrefix,
    stop: nodes.stop,
  };
}

export interface PermissionSample {
  checks: number;
  elapsedMs: number;
  latenciesMs: number[];
  selfMs: number;
  clientMs: number;
  postgresMs: number;
  busyPercent: number;
  reads: number;
  peakRssMb: number;
  failures: number;
  firstErrors: string[];
  outcomes: Record<string, number>;
}

/**
 * Starts the target, warms it up, measures one closed-loop run of
 * `durationMs` from the load client, stops the target. `profileFiles` (node,
 * client) profile the measured part.
 */
export async function measurePermissionOnce(options: {
  client: MessengerLoadClient;
  start: () => Promise<PermissionTarget>;
  meterDb: Queryable;
  userCount: number;
  connections: number;
  warmupMs: number;
  durationMs: number;
  profileFiles?: { node: string; client: string } | undefined;
}): Promise<PermissionSample> {
  const target = await options.start();
  try {
    const job = {
      kind: 'permission' as const,
      appUrl: target.url,
      token: BENCH_APP_TOKEN,
      userCount: options.userCount,
      connections: options.connections,
    };
    const warm = await options.client.run({ ...job, durationMs: options.warmupMs });
    if (warm.failures > 0) throw new Error(`warm-up failed: ${warm.firstErrors.join('; ')}`);
    const reads0 = target.reads?.() ?? 0;
    let peakRssMb = rssMb();
    const sampler = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, rssMb());
    }, 250);
    const stopProfile = options.profileFiles
      ? await startCpuProfile(options.profileFiles.node)
      : undefined;
    const meter = await startRunCpuMeter(options.meterDb, target.appPrefix ?? 'no-database');
    const r = await options.client.run({
      ...job,
      durationMs: options.durationMs,
      profileFile: options.profileFiles?.client,
    });
    const cpu = await meter();
    await stopProfile?.();
    clearInterval(sampler);
    return {
      checks: r.latenciesMs.length,
      elapsedMs: r.elapsedMs,
      latenciesMs: r.latenciesMs,
      selfMs: cpu.selfMs,
      clientMs: r.clientCpuMs,
      postgresMs: cpu.postgresMs,
      busyPercent: cpu.machineBusyPercent,
      reads: (target.reads?.() ?? 0) - reads0,
      peakRssMb,
      failures: r.failures,
      firstErrors: r.firstErrors,
      outcomes: r.outcomes,
    };
  } finally {
    await target.stop();
  }
}

export function profileFilesFor(dir: string | undefined, mode: string) {
  return dir
    ? {
        node: join(dir, `permission-node-${mode}.cpuprofile`),
        client: join(dir, `permission-client-${mode}.cpuprofile`),
      }
    : undefined;
}

/**
 * Pooled over rounds: rates are total checks over total time, percentiles
 * over every latency, CPU per check over all checks. Zeros when no samples.
 */
export function summarizePermissionSamples(samples: PermissionSample[]) {
  const sum = (f: (x: PermissionSample) => number) => samples.reduce((a, x) => a + f(x), 0);
  const checks = Math.max(
    1,
    sum((x) => x.checks),
  );
  const latencies = samples.flatMap((x) => x.latenciesMs);
  const serverCpuMs = sum((x) => x.selfMs) / checks;
  const outcomes: Record<string, number> = {};
  for (const x of samples)
    for (const [k, v] of Object.entries(x.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
  return {
    perSecond: samples.length > 0 ? (checks / sum((x) => x.elapsedMs)) * 1000 : 0,
    perRound: samples.map((x) => Math.round((x.checks / x.elapsedMs) * 1000)),
    p50: latencies.length > 0 ? round(percentile(latencies, 50), 2) : 0,
    p99: latencies.length > 0 ? round(percentile(latencies, 99), 2) : 0,
    serverCpuMs: round(serverCpuMs, 4),
    capacityPerCore: serverCpuMs > 0 ? Math.round(1000 / serverCpuMs) : 0,
    clientCpuMs: round(sum((x) => x.clientMs) / checks, 4),
    postgresCpuMs: round(sum((x) => x.postgresMs) / checks, 4),
    busyPercent: Math.round(sum((x) => x.busyPercent) / Math.max(1, samples.length)),
    readsPerCheck: round(sum((x) => x.reads) / checks, 3),
    peakRssMb: Math.max(0, ...samples.map((x) => x.peakRssMb)),
    failures: sum((x) => x.failures),
    firstErrors: samples.flatMap((x) => x.firstErrors).slice(0, 5),
    outcomes,
  };
}
