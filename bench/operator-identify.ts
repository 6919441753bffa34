import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { newId } from '../src/core/ids.js';
import { createPostgresDatabase } from '../src/db/postgres-driver.js';
import { OPERATOR_MIGRATION_SETS } from '../src/operator/start-operator-node.js';
import { type Benchmark, round, rssMb } from './harness/benchmark.js';
import { benchDatabaseUrl, intArg, stringArg } from './support/bench-args.js';
import { startBenchOperatorNode } from './support/bench-operator-node.js';
import { createBenchSchema } from './support/bench-schema.js';
import { startCpuMeter } from './support/cpu-meter.js';
import { startCpuProfile } from './support/cpu-profile.js';
import { type DirectDeps, runDirectIdentifications } from './support/direct-decisions.js';
import { createPhaseTotals, describeStatements } from './support/phase-totals.js';
import { startSignedLoadClient } from './support/signed-load.js';
import {
  createDealer,
  loadSyntheticSubscribers,
  shuffledIndexes,
} from './support/synthetic-subscribers.js';

/**
 * Single identifications through a real operator node (issue 4):
 * `npm run bench -- operator-identify [--subscribers N] [--requests N]
 *  [--concurrency N] [--pool N] [--rounds N] [--warmup N] [--cpu-prof-dir DIR]
 *  [--group-size N] [--groups-in-flight N]`.
 *
 * PostgreSQL (DATABASE_URL, default the local test server), fresh schema,
 * dropped afterwards. Set-up: N synthetic subscribers (synthetic-subscribers.ts)
 * inserted with generate_series. The node is wired as in production
 * (createOperatorNode) and listens on loopback; a separate client process runs
 * `--concurrency` workers, each with its own signed PartnerClient, sending
 * POST /v1/identifications for random distinct numbers with fresh codes
 * (real RFC 9421 signatures both ways, database replay and idempotency stores).
 *
 * Baseline, in the same run: `--concurrency` workers calling runIdempotent +
 * decideIdentification directly on a pg pool of the same size — the database
 * work without HTTP, validation, signatures or replay store. HTTP and baseline
 * alternate in `--rounds` rounds after a warm-up of each.
 */
const run: Benchmark = async (ctx) => {
  const subscribers = intArg(ctx.args, '--subscribers') ?? 1_000_000;
  const requests = intArg(ctx.args, '--requests') ?? 20_000;
  const warmup = intArg(ctx.args, '--warmup') ?? Math.min(2_000, requests);
  const concurrency = intArg(ctx.args, '--concurrency') ?? 64;
  const poolSize = intArg(ctx.args, '--pool') ?? 10;
  const rounds = intArg(ctx.args, '--rounds') ?? 2;
  // operator.identificationGroups.maxSize for the node; 1 decides every request alone.
  const groupSize = intArg(ctx.args, '--group-size');
  const groupsInFlight = intArg(ctx.args, '--groups-in-flight');
  // Profiles of the measured HTTP rounds only: node process and client process.
  const profileDir = stringArg(ctx.args, '--cpu-prof-dir');
  const needed = 2 * (warmup + requests);
  if (needed > subscribers) {
    throw new Error(`--subscribers must be at least 2 × (warm-up + requests) = ${needed}`);
  }
  const url = benchDatabaseUrl();
  const loadBefore = loadavg().map((l) => round(l, 2));
  const bench = await createBenchSchema(url, 'bench_identify', OPERATOR_MIGRATION_SETS);
  let stopNode: (() => Promise<void>) | undefined;
  const baselineDb = createPostgresDatabase({
    url,
    schema: bench.schema,
    poolSize,
    applicationName: 'idbridge-bench-baseline',
  });
  const client = startSignedLoadClient();
  try {
    ctx.progress(`loading ${subscribers.toLocaleString('en-US')} subscribers into ${bench.schema}`);
    const t0 = performance.now();
    const { contractRows } = await loadSyntheticSubscribers(bench.db, subscribers, (done) =>
      ctx.progress(`  ${done.toLocaleString('en-US')} numbers`),
    );
    const loadSeconds = (performance.now() - t0) / 1000;

    const operator = await startBenchOperatorNode({
      url,
      schema: bench.schema,
      poolSize,
      groupSize,
      groupsInFlight,
    });
    stopNode = operator.stop;
    const target = {
      partnerUrl: operator.partnerUrl,
      operatorId: operator.credentials.selfId,
      messenger: operator.messenger,
    };
    const direct = {
      db: baselineDb,
      ids: newId,
      hashNumber: operator.credentials.hashNumber,
      messengerId: operator.messenger.id,
    };
    // Measured baseline rounds also time each statement of the decision.
    const statementMs: NonNullable<DirectDeps['statementMs']> = new Map();
    const measured = { ...direct, statementMs };
    const tag = randomBytes(3).toString('hex');
    const take = createDealer(shuffledIndexes(subscribers));

    ctx.progress(`warm-up: ${warmup} signed requests, ${warmup} direct decisions`);
    const warm = await client.run({
      ...target,
      kind: 'identify',
      concurrency,
      tag,
      subscribers: take(warmup),
    });
    if (warm.failures > 0) throw new Error(`warm-up failed: ${warm.firstErrors.join('; ')}`);
    await runDirectIdentifications(direct, { tag, subscribers: take(warmup), concurrency });

    const http = createPhaseTotals();
    const baseline = createPhaseTotals();
    let peakRss = rssMb();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb());
    }, 250);
    try {
      for (let r = 0; r < rounds; r++) {
        const n = Math.floor(requests / rounds) + (r < requests % rounds ? 1 : 0);
        const stopProfile = profileDir
          ? await startCpuProfile(join(profileDir, `identify-node-${r + 1}.cpuprofile`))
          : undefined;
        let meter = await startCpuMeter(bench.db);
        const h = await client.run({
          ...target,
          kind: 'identify',
          concurrency,
          tag,
          subscribers: take(n),
          profileFile: profileDir && join(profileDir, `identify-client-${r + 1}.cpuprofile`),
        });
        http.add(h, await meter(), n);
        await stopProfile?.();
        meter = await startCpuMeter(bench.db);
        const b = await runDirectIdentifications(measured, {
          tag,
          subscribers: take(n),
          concurrency,
        });
        baseline.add(b, await meter(), n);
        ctx.progress(
          `round ${r + 1}/${rounds}: http ${Math.round((n / h.elapsedMs) * 1000)}/s, baseline ${Math.round((n / b.elapsedMs) * 1000)}/s`,
        );
      }
    } finally {
      clearInterval(sampler);
    }

    const rows = await bench.db.query<{ register: string; requests: string; idem: string }>(
      `SELECT (SELECT count(*) FROM register_entries) AS register,
              (SELECT count(*) FROM identification_requests) AS requests,
              (SELECT count(*) FROM idempotent_requests) AS idem`,
    );
    const perSecond = http.perSecond();
    const basePerSecond = baseline.perSecond();
    const httpCpu = http.cpuPer(1);
    const baseCpu = baseline.cpuPer(1);
    const grouping = operator.node.identificationStats();
    return {
      figures: [
        {
          key: 'identificationsPerSecond',
          value: Math.round(perSecond),
          label: 'signed identifications per second over HTTP',
        },
        { key: 'p50Ms', value: http.p(50), label: 'HTTP latency p50 (ms)' },
        { key: 'p99Ms', value: http.p(99), label: 'HTTP latency p99 (ms)' },
        {
          key: 'baselinePerSecond',
          value: Math.round(basePerSecond),
          label: 'direct decisions per second (baseline)',
        },
        { key: 'baselineP50Ms', value: baseline.p(50), label: 'baseline latency p50 (ms)' },
        { key: 'baselineP99Ms', value: baseline.p(99), label: 'baseline latency p99 (ms)' },
        {
          key: 'ratioToBaseline',
          value: round(perSecond / basePerSecond, 2),
          label: 'HTTP ÷ baseline',
        },
        {
          key: 'serverCpuMsPerRequest',
          value: httpCpu.selfMs,
          label: 'node process CPU per request (ms)',
        },
        {
          key: 'clientCpuMsPerRequest',
          value: httpCpu.clientMs,
          label: 'load client CPU per request (ms)',
        },
        {
          key: 'postgresCpuMsPerRequest',
          value: httpCpu.postgresMs,
          label: 'PostgreSQL CPU per HTTP request (ms)',
        },
        {
          key: 'baselineCpuMsPerDecision',
          value: baseCpu.selfMs,
          label: 'baseline process CPU per decision (ms)',
        },
        {
          key: 'baselinePostgresCpuMsPerDecision',
          value: baseCpu.postgresMs,
          label: 'PostgreSQL CPU per baseline decision (ms)',
        },
        {
          key: 'machineBusyPercentHttp',
          value: httpCpu.machineBusyPercent,
          label: 'machine CPU busy during HTTP (%)',
        },
        {
          key: 'machineBusyPercentBaseline',
          value: baseCpu.machineBusyPercent,
          label: 'machine CPU busy during baseline (%)',
        },
        {
          key: 'groupedPercent',
          value: round(
            (100 * grouping.grouped) / Math.max(1, grouping.grouped + grouping.alone),
            1,
          ),
          label: 'requests decided in groups (%)',
        },
        {
          key: 'meanGroupSize',
          value: round(grouping.grouped / Math.max(1, grouping.groups), 1),
          label: 'mean group size (requests)',
        },
        { key: 'rssMb', value: round(peakRss, 0), label: 'node process peak RSS (MiB)' },
        {
          key: 'failures',
          value: http.failures + baseline.failures,
          label: 'failed requests (must be 0)',
        },
      ],
      parameters: {
        subscribers,
        contractRows,
        loadSeconds: round(loadSeconds, 1),
        requests,
        warmup,
        concurrency,
        poolSize,
        rounds,
        groupSize: groupSize ?? 'config default',
        groupsInFlight: groupsInFlight ?? 'config default',
        grouping,
        resultsHttp: http.results,
        resultsBaseline: baseline.results,
        baselineStatements: describeStatements(statementMs),
        firstErrors: [...http.firstErrors, ...baseline.firstErrors],
        rowsWritten: rows.rows[0],
        serverSystemCpuMsPerRequest: httpCpu.selfSystemMs,
        baselineSystemCpuMsPerDecision: baseCpu.selfSystemMs,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
        database: 'postgresql',
      },
    };
  } finally {
    await client.close();
    await stopNode?.();
    await baselineDb.close();
    await bench.drop();
  }
};

/** Runs on PostgreSQL: the harness stands in for autovacuum where the server has it off. */
export const usesPostgres = true;

export default run;
