import { loadavg } from 'node:os';
import { type Benchmark, type BenchmarkFigure, round } from './harness/benchmark.js';
import { benchDatabaseUrl, intArg, stringArg } from './support/bench-args.js';
import { createBenchSchema } from './support/bench-schema.js';
import { BENCH_APP_TOKEN } from './support/messenger-bench-nodes.js';
import {
  startBareHttpServer,
  startFreeCheckAppServer,
} from './support/messenger-calibration-servers.js';
import { type MessengerLoadClient, startMessengerLoadClient } from './support/messenger-load.js';
import {
  measurePermissionOnce,
  type PermissionSample,
  type PermissionTarget,
  profileFilesFor,
  startNodeTarget,
  summarizePermissionSamples,
} from './support/messenger-permission-runs.js';
import { seedBenchUsers } from './support/messenger-users.js';

/**
 * The may-send check, the hot path (issue 5, R6, R12):
 * `npm run bench -- permission-check [--users N] [--active N] [--connections N]
 *  [--rounds N] [--duration S] [--warmup S] [--pool N] [--cache-ms MS]
 *  [--modes bare-http,free-check,cached,uncached] [--cpu-prof-dir DIR]`.
 *
 * PostgreSQL (DATABASE_URL, default the local test server), fresh schema,
 * dropped afterwards. `--users` users (default 100,000; 90% identified, 10%
 * suspended, messenger-users.ts) inserted with generate_series. A messenger
 * node wired as in production (createMessengerNode) serves its app API on
 * loopback; a separate load client process keeps `--connections` keep-alive
 * connections (undici) busy with GET /app/v1/users/:id/permission for users
 * drawn uniformly from the first `--active` users (default all), closed loop,
 * for `--duration` seconds after a `--warmup`, per mode and round.
 *
 * Modes, alternating within each of `--rounds` rounds so that load from other
 * work on this shared machine falls on all alike: two floors — bare node:http
 * with a constant answer, and the node's own HTTP stack (hooks, bearer auth,
 * route schemas) with a check that answers at once — then the node with its
 * cache as configured (`messenger.permissionCacheMs`, default 1000) and
 * without it (`permissionCacheMs: 0`: one primary-key read per check), each
 * on a fresh node over the same data. The node's permission reads are
 * counted, so the cache's hit rate is measured, not assumed. Cache misses
 * that arrive together are read in one `= ANY($1)` query (coalesced-state-
 * reader.ts), so queries per check below 1 in `uncached` show the coalescing.
 *
 * The client runs in its own process but on the same 2 cores as the node and
 * PostgreSQL, so the CPU each spent per check is reported; the node's CPU per
 * check gives the rate one core could serve on its own.
 */
const run: Benchmark = async (ctx) => {
  const users = intArg(ctx.args, '--users') ?? 100_000;
  const active = Math.min(users, intArg(ctx.args, '--active') ?? users);
  const connections = intArg(ctx.args, '--connections') ?? 32;
  const durationMs = (intArg(ctx.args, '--duration') ?? 5) * 1000;
  const warmupMs = (intArg(ctx.args, '--warmup') ?? 2) * 1000;
  const poolSize = intArg(ctx.args, '--pool') ?? 10;
  const cacheMs = intArg(ctx.args, '--cache-ms') ?? 1000;
  const rounds = intArg(ctx.args, '--rounds') ?? 3;
  const selected = (stringArg(ctx.args, '--modes') ?? 'bare-http,free-check,cached,uncached').split(
    ',',
  );
  // Profiles of the last round only; profiling adds CPU, so compare profiled figures with care.
  const profileDir = stringArg(ctx.args, '--cpu-prof-dir');
  const url = benchDatabaseUrl();
  const loadBefore = loadavg().map((l) => round(l, 2));
  const bench = await createBenchSchema(url, 'bench_permission', ['shared', 'messenger']);
  let client: MessengerLoadClient | undefined;
  try {
    ctx.progress(`seeding ${users.toLocaleString('en-US')} users into ${bench.schema}`);
    await seedBenchUsers(bench.db, users, (done) =>
      ctx.progress(`  ${done.toLocaleString('en-US')} users`),
    );
    client = startMessengerLoadClient();
    const loadClient = client;
    const place = { url, schema: bench.schema, poolSize };

    // The modes alternate within each round, so load from other work on the
    // machine falls on all of them alike: two floors (bare HTTP; the node's
    // HTTP stack with a free check), the node with and without its cache.
    const allModes: Array<[string, () => Promise<PermissionTarget>]> = [
      ['bare-http', startBareHttpServer],
      ['free-check', () => startFreeCheckAppServer(BENCH_APP_TOKEN)],
      ['cached', () => startNodeTarget(place, cacheMs)],
      ['uncached', () => startNodeTarget(place, 0)],
    ];
    const modes = allModes.filter(([m]) => selected.includes(m));
    const samples = new Map<string, PermissionSample[]>(modes.map(([m]) => [m, []]));
    for (let r = 0; r < rounds; r++) {
      ctx.progress(`round ${r + 1}/${rounds}`);
      for (const [mode, start] of modes) {
        const sample = await measurePermissionOnce({
          client: loadClient,
          start,
          meterDb: bench.db,
          userCount: active,
          connections,
          warmupMs,
          durationMs,
          // Profiling adds CPU: only the last round, and compare its figures with care.
          profileFiles: r === rounds - 1 ? profileFilesFor(profileDir, mode) : undefined,
        });
        ctx.progress(`${mode}: ${Math.round((sample.checks / sample.elapsedMs) * 1000)}/s`);
        samples.get(mode)?.push(sample);
      }
    }
    const result = (m: string) => summarizePermissionSamples(samples.get(m) ?? []);
    const [bare, free, cached, uncached] = allModes.map(([m]) => result(m));
    if (!bare || !free || !cached || !uncached) throw new Error('unreachable');
    const fig = (key: string, value: number, label: string): BenchmarkFigure => ({
      key,
      value,
      label,
    });
    return {
      figures: [
        fig(
          'checksPerSecond',
          Math.round(cached.perSecond),
          `checks per second (cache ${cacheMs} ms)`,
        ),
        fig('p50Ms', cached.p50, 'latency p50 (ms)'),
        fig('p99Ms', cached.p99, 'latency p99 (ms)'),
        fig('dbReadsPerCheck', cached.readsPerCheck, 'database reads per check (1 − hit rate)'),
        fig('serverCpuMsPerCheck', cached.serverCpuMs, 'node process CPU per check (ms)'),
        fig(
          'serverCapacityPerCore',
          cached.capacityPerCore,
          'checks/s one core could serve (1 / node CPU per check)',
        ),
        fig('clientCpuMsPerCheck', cached.clientCpuMs, 'load client CPU per check (ms)'),
        fig('postgresCpuMsPerCheck', cached.postgresCpuMs, 'PostgreSQL CPU per check (ms)'),
        fig('machineBusyPercent', cached.busyPercent, 'machine CPU busy during the run (%)'),
        fig(
          'uncachedChecksPerSecond',
          Math.round(uncached.perSecond),
          'checks per second, no cache',
        ),
        fig('uncachedP50Ms', uncached.p50, 'no cache: latency p50 (ms)'),
        fig('uncachedP99Ms', uncached.p99, 'no cache: latency p99 (ms)'),
        fig(
          'uncachedDbReadsPerCheck',
          uncached.readsPerCheck,
          'no cache: database reads per check',
        ),
        fig(
          'uncachedServerCpuMsPerCheck',
          uncached.serverCpuMs,
          'no cache: node CPU per check (ms)',
        ),
        fig(
          'uncachedPostgresCpuMsPerCheck',
          uncached.postgresCpuMs,
          'no cache: PostgreSQL CPU per check (ms)',
        ),
        fig(
          'uncachedClientCpuMsPerCheck',
          uncached.clientCpuMs,
          'no cache: client CPU per check (ms)',
        ),
        fig('uncachedMachineBusyPercent', uncached.busyPercent, 'no cache: machine CPU busy (%)'),
        fig(
          'uncachedServerCapacityPerCore',
          uncached.capacityPerCore,
          'no cache: checks/s one core could serve',
        ),
        fig(
          'bareHttpPerSecond',
          Math.round(bare.perSecond),
          'floor: bare node:http, constant answer (/s)',
        ),
        fig('bareHttpP99Ms', bare.p99, 'floor: bare node:http p99 (ms)'),
        fig(
          'bareHttpServerCpuMs',
          bare.serverCpuMs,
          'floor: bare node:http server CPU per request (ms)',
        ),
        fig(
          'bareHttpClientCpuMs',
          bare.clientCpuMs,
          'floor: bare node:http client CPU per request (ms)',
        ),
        fig(
          'freeCheckPerSecond',
          Math.round(free.perSecond),
          'node app stack, check answers at once (/s)',
        ),
        fig('freeCheckP99Ms', free.p99, 'node app stack, free check: p99 (ms)'),
        fig(
          'freeCheckServerCpuMs',
          free.serverCpuMs,
          'node app stack, free check: server CPU per request (ms)',
        ),
        fig(
          'rssMb',
          round(Math.max(cached.peakRssMb, uncached.peakRssMb), 0),
          'node process peak RSS (MiB)',
        ),
        fig(
          'failures',
          bare.failures + free.failures + cached.failures + uncached.failures,
          'failed checks (must be 0)',
        ),
      ],
      parameters: {
        users,
        active,
        connections,
        durationSeconds: durationMs / 1000,
        warmupSeconds: warmupMs / 1000,
        poolSize,
        permissionCacheMs: cacheMs,
        rounds,
        perRoundChecksPerSecond: {
          bareHttp: bare.perRound,
          freeCheck: free.perRound,
          cached: cached.perRound,
          uncached: uncached.perRound,
        },
        outcomesCached: cached.outcomes,
        outcomesUncached: uncached.outcomes,
        firstErrors: [
          ...bare.firstErrors,
          ...free.firstErrors,
          ...cached.firstErrors,
          ...uncached.firstErrors,
        ],
        machineBusyPercent: { bare: bare.busyPercent, freeCheck: free.busyPercent },
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
        loadClient: 'separate process, undici Pool, keep-alive, closed loop',
        database: 'postgresql',
      },
    };
  } finally {
    await client?.close();
    await bench.drop();
  }
};

/** Runs on PostgreSQL: the harness stands in for autovacuum where the server has it off. */
export const usesPostgres = true;

export default run;
