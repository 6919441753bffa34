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
import { type DirectDeps, runDirectBatches } from './support/direct-decisions.js';
import { batchBody } from './support/identification-bodies.js';
import { createPhaseTotals, describeStatements } from './support/phase-totals.js';
import { startSignedLoadClient } from './support/signed-load.js';
import { createDealer, shuffledIndexes } from './support/synthetic-subscribers.js';
import { runTimedImport } from './support/timed-import.js';

/**
 * Legacy batch identifications (R9, rule I1) through a real operator node, and
 * the subscriber import that builds the base (issue 4):
 * `npm run bench -- operator-batch [--import-rows N] [--batch-size N]
 *  [--batches N] [--warmup-batches N] [--concurrency N] [--pool N] [--rounds N]
 *  [--cpu-prof-dir DIR]`.
 *
 * PostgreSQL (DATABASE_URL, default the local test server), fresh schema,
 * dropped afterwards. The base is built by the production import of a
 * synthetic CSV of `--import-rows` lines (default 1,000,000; the nodes.md
 * scale is `--import-rows 10000000`, a few minutes more), timed as
 * `importRowsPerSecond`. Then a separate client process sends signed
 * POST /v1/identifications/batch of `--batch-size` items (distinct random
 * numbers, fresh codes, userSince 2020-01-01) with `--concurrency` batches in
 * flight; the baseline calls runIdempotent + decideBatch directly on a pool of
 * the same size. HTTP and baseline alternate in `--rounds` rounds.
 */
const USER_SINCE = '2020-01-01';

const run: Benchmark = async (ctx) => {
  const importRows = intArg(ctx.args, '--import-rows') ?? 1_000_000;
  const batchSize = intArg(ctx.args, '--batch-size') ?? 10_000;
  const batches = intArg(ctx.args, '--batches') ?? 10;
  const warmupBatches = intArg(ctx.args, '--warmup-batches') ?? 1;
  const concurrency = intArg(ctx.args, '--concurrency') ?? 2;
  const poolSize = intArg(ctx.args, '--pool') ?? 10;
  const rounds = Math.min(intArg(ctx.args, '--rounds') ?? 2, batches);
  const profileDir = stringArg(ctx.args, '--cpu-prof-dir');
  const url = benchDatabaseUrl();
  const loadBefore = loadavg().map((l) => round(l, 2));
  const bench = await createBenchSchema(url, 'bench_batch', OPERATOR_MIGRATION_SETS);
  let stopNode: (() => Promise<void>) | undefined;
  const baselineDb = createPostgresDatabase({
    url,
    schema: bench.schema,
    poolSize,
    applicationName: 'idbridge-bench-baseline',
  });
  const client = startSignedLoadClient();
  try {
    ctx.progress(`importing ${importRows.toLocaleString('en-US')} subscriber rows`);
    const imported = await runTimedImport({
      db: bench.db,
      url,
      schema: bench.schema,
      rows: importRows,
      chunkLines: 50_000,
      progress: ctx.progress,
    });
    await bench.db.exec('ANALYZE subscriber_contracts');
    const needed = 2 * (warmupBatches + batches) * batchSize;
    if (needed > imported.numbers) {
      throw new Error(
        `${imported.numbers} numbers imported; this run needs ${needed}: raise --import-rows`,
      );
    }

    const operator = await startBenchOperatorNode({ url, schema: bench.schema, poolSize });
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
    const take = createDealer(shuffledIndexes(imported.numbers));
    const takeBatches = (n: number) => Array.from({ length: n }, () => take(batchSize));
    const job = { tag, concurrency, userSince: USER_SINCE };

    ctx.progress(`warm-up: ${warmupBatches} batch(es) each way`);
    const warm = await client.run({
      ...target,
      ...job,
      kind: 'batch',
      batches: takeBatches(warmupBatches),
    });
    if (warm.failures > 0) throw new Error(`warm-up failed: ${warm.firstErrors.join('; ')}`);
    const bodiesOf = (n: number) => takeBatches(n).map((b) => batchBody(tag, b, USER_SINCE));
    await runDirectBatches(direct, bodiesOf(warmupBatches), concurrency);

    const http = createPhaseTotals();
    const baseline = createPhaseTotals();
    let peakRss = rssMb();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb());
    }, 250);
    try {
      for (let r = 0; r < rounds; r++) {
        const n = Math.floor(batches / rounds) + (r < batches % rounds ? 1 : 0);
        const stopProfile = profileDir
          ? await startCpuProfile(join(profileDir, `batch-node-${r + 1}.cpuprofile`))
          : undefined;
        let meter = await startCpuMeter(bench.db);
        const h = await client.run({
          ...target,
          ...job,
          kind: 'batch',
          batches: takeBatches(n),
          profileFile: profileDir && join(profileDir, `batch-client-${r + 1}.cpuprofile`),
        });
        http.add(h, await meter(), n * batchSize);
        await stopProfile?.();
        const bodies = bodiesOf(n);
        meter = await startCpuMeter(bench.db);
        const b = await runDirectBatches(measured, bodies, concurrency);
        baseline.add(b, await meter(), n * batchSize);
        ctx.progress(
          `round ${r + 1}/${rounds}: http ${Math.round(((n * batchSize) / h.elapsedMs) * 1000)} numbers/s, baseline ${Math.round(((n * batchSize) / b.elapsedMs) * 1000)} numbers/s`,
        );
      }
    } finally {
      clearInterval(sampler);
    }

    const perSecond = http.perSecond();
    const basePerSecond = baseline.perSecond();
    const httpCpu = http.cpuPer(batchSize);
    const baseCpu = baseline.cpuPer(batchSize);
    return {
      figures: [
        {
          key: 'numbersPerSecond',
          value: Math.round(perSecond),
          label: 'batch numbers per second over HTTP',
        },
        { key: 'batchP50Ms', value: http.p(50), label: 'batch latency p50 (ms)' },
        { key: 'batchP99Ms', value: http.p(99), label: 'batch latency p99 (ms)' },
        {
          key: 'baselineNumbersPerSecond',
          value: Math.round(basePerSecond),
          label: 'decideBatch numbers per second (baseline)',
        },
        {
          key: 'baselineBatchP50Ms',
          value: baseline.p(50),
          label: 'baseline batch latency p50 (ms)',
        },
        {
          key: 'ratioToBaseline',
          value: round(perSecond / basePerSecond, 2),
          label: 'HTTP ÷ baseline',
        },
        {
          key: 'serverCpuMsPerBatch',
          value: httpCpu.selfMs,
          label: 'node process CPU per batch (ms)',
        },
        {
          key: 'clientCpuMsPerBatch',
          value: httpCpu.clientMs,
          label: 'load client CPU per batch (ms)',
        },
        {
          key: 'postgresCpuMsPerBatch',
          value: httpCpu.postgresMs,
          label: 'PostgreSQL CPU per HTTP batch (ms)',
        },
        {
          key: 'baselineCpuMsPerBatch',
          value: baseCpu.selfMs,
          label: 'baseline process CPU per batch (ms)',
        },
        {
          key: 'baselinePostgresCpuMsPerBatch',
          value: baseCpu.postgresMs,
          label: 'PostgreSQL CPU per baseline batch (ms)',
        },
        {
          key: 'importRowsPerSecond',
          value: Math.round(importRows / imported.seconds),
          label: 'subscriber rows imported per second',
        },
        { key: 'importSeconds', value: round(imported.seconds, 1), label: 'import time (s)' },
        { key: 'rssMb', value: round(peakRss, 0), label: 'node process peak RSS (MiB)' },
        {
          key: 'failures',
          value: http.failures + baseline.failures,
          label: 'failed batches (must be 0)',
        },
      ],
      parameters: {
        importRows,
        numbers: imported.numbers,
        rowsImported: imported.rowsImported,
        rowsRejected: imported.rowsRejected,
        importFileMb: round(imported.fileMb, 0),
        batchSize,
        batches,
        warmupBatches,
        concurrency,
        poolSize,
        rounds,
        userSince: USER_SINCE,
        resultsHttp: http.results,
        resultsBaseline: baseline.results,
        baselineStatements: describeStatements(statementMs),
        firstErrors: [...http.firstErrors, ...baseline.firstErrors],
        serverSystemCpuMsPerBatch: httpCpu.selfSystemMs,
        machineBusyPercentHttp: httpCpu.machineBusyPercent,
        machineBusyPercentBaseline: baseCpu.machineBusyPercent,
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
