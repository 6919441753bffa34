import { loadavg } from 'node:os';
import { join } from 'node:path';
import { OPERATOR_MIGRATION_SETS } from '../src/operator/start-operator-node.js';
import { type Benchmark, percentile, round, rssMb } from './harness/benchmark.js';
import { benchDatabaseUrl, intArg, stringArg } from './support/bench-args.js';
import { createBenchSchema } from './support/bench-schema.js';
import { startCpuProfile } from './support/cpu-profile.js';
import { BENCH_APP_TOKEN, startMessengerBenchNodes } from './support/messenger-bench-nodes.js';
import { startRunCpuMeter } from './support/messenger-cpu-meter.js';
import { startMessengerLoadClient } from './support/messenger-load.js';
import { countingDatabase } from './support/messenger-users.js';
import {
  loadSyntheticSubscribers,
  shuffledIndexes,
  subscriberMsisdn,
} from './support/synthetic-subscribers.js';

/**
 * Registrations end to end (issue 5):
 * `npm run bench -- messenger-identify [--users N] [--concurrency C]
 *  [--subscribers N] [--warmup N] [--pool N] [--cpu-prof-dir DIR]`.
 *
 * PostgreSQL (DATABASE_URL, default the local test server), two fresh
 * schemas dropped afterwards: an MTS operator node with `--subscribers`
 * synthetic subscribers (synthetic-subscribers.ts) and a messenger node,
 * both wired as in production and talking over loopback HTTP with real
 * signatures. A separate client process (the messenger's backend) runs `--users`
 * registrations, `--concurrency` at a time, over distinct numbers whose
 * contracts have subscriber data: POST /app/v1/registrations → the code from
 * the development SMS outbox (GET /app/v1/dev/sms-outbox, enabled with
 * `messenger.devOutboxReadable`) → POST /app/v1/registrations/confirm, which
 * sends the signed identification to the operator and applies its answer →
 * (if still pending) GET /app/v1/users/:id until identified. A registration
 * counts only when the user ends `identified`.
 *
 * The SMS limits are per number except `sms.sendsPerCaller` (1,000 per hour
 * by default for the one app caller): the benchmark raises it to 10,000,000
 * so it measures the work, not the anti-pumping guard.
 */
const run: Benchmark = async (ctx) => {
  const users = intArg(ctx.args, '--users') ?? 2_000;
  const concurrency = intArg(ctx.args, '--concurrency') ?? 16;
  const warmup = intArg(ctx.args, '--warmup') ?? Math.min(200, users);
  const subscribers = intArg(ctx.args, '--subscribers') ?? Math.max(100_000, 2 * (users + warmup));
  const poolSize = intArg(ctx.args, '--pool') ?? 10;
  // Profiles the measured part: the nodes' process and the client process.
  const profileDir = stringArg(ctx.args, '--cpu-prof-dir');
  // 19 of 20 synthetic numbers have subscriber data; keep a margin.
  if ((users + warmup) * 1.2 > subscribers) {
    throw new Error('--subscribers must be at least 1.2 × (users + warm-up)');
  }
  const url = benchDatabaseUrl();
  const loadBefore = loadavg().map((l) => round(l, 2));
  const messengerSchema = await createBenchSchema(url, 'bench_mid_msg', ['shared', 'messenger']);
  const operatorSchema = await createBenchSchema(
    url,
    'bench_mid_op',
    OPERATOR_MIGRATION_SETS,
  ).catch(async (err) => {
    await messengerSchema.drop();
    throw err;
  });
  const client = startMessengerLoadClient();
  let stopNodes: (() => Promise<void>) | undefined;
  let counted: ReturnType<typeof countingDatabase> | undefined;
  try {
    ctx.progress(`loading ${subscribers.toLocaleString('en-US')} subscribers`);
    await loadSyntheticSubscribers(operatorSchema.db, subscribers);
    const nodes = await startMessengerBenchNodes({
      url,
      messengerSchema: messengerSchema.schema,
      operatorSchema: operatorSchema.schema,
      poolSize,
      wrapMessengerDb: (raw) => {
        counted = countingDatabase(raw, '');
        return counted;
      },
      overrides: {
        messenger: { devOutboxReadable: true },
        sms: { sender: 'dev', sendsPerCaller: { max: 10_000_000, windowSeconds: 3600 } },
      },
    });
    stopNodes = nodes.stop;
    // Distinct numbers in random order, only those with subscriber data (i % 20 ≠ 0).
    const order = Array.from(shuffledIndexes(subscribers)).filter((i) => i % 20 !== 0);
    const phones = order.slice(0, users + warmup).map(subscriberMsisdn);
    const job = { kind: 'register' as const, appUrl: nodes.appUrl, token: BENCH_APP_TOKEN };

    ctx.progress(`warm-up: ${warmup} registrations`);
    const warm = await client.run({ ...job, concurrency, phones: phones.slice(0, warmup) });
    if (warm.failures > 0) throw new Error(`warm-up failed: ${warm.firstErrors.join('; ')}`);

    ctx.progress(`measuring: ${users} registrations, ${concurrency} at a time`);
    let peakRss = rssMb();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb());
    }, 250);
    const stopProfile = profileDir
      ? await startCpuProfile(join(profileDir, 'identify-nodes.cpuprofile'))
      : undefined;
    const meter = await startRunCpuMeter(messengerSchema.db, nodes.appPrefix);
    const statements0 = counted?.count() ?? 0;
    const r = await client.run({
      ...job,
      concurrency,
      phones: phones.slice(warmup),
      profileFile: profileDir && join(profileDir, 'identify-client.cpuprofile'),
    });
    const cpu = await meter();
    const statements = (counted?.count() ?? 0) - statements0;
    await stopProfile?.();
    clearInterval(sampler);

    const { rows } = await messengerSchema.db.query<{ state: string; n: string }>(
      'SELECT state, count(*) AS n FROM users GROUP BY state ORDER BY state',
    );
    const done = r.latenciesMs.length;
    const perSecond = (done / r.elapsedMs) * 1000;
    const stepMean = (step: string) => round((r.stepMs[step] ?? 0) / Math.max(1, done), 2);
    const per = (ms: number) => round(ms / Math.max(1, done), 3);
    return {
      figures: [
        {
          key: 'registrationsPerSecond',
          value: round(perSecond, 1),
          label: 'registrations per second (SMS code → identified)',
        },
        { key: 'p50Ms', value: round(percentile(r.latenciesMs, 50), 1), label: 'latency p50 (ms)' },
        { key: 'p99Ms', value: round(percentile(r.latenciesMs, 99), 1), label: 'latency p99 (ms)' },
        {
          key: 'sendCodeMeanMs',
          value: stepMean('sendCode'),
          label: 'step: POST registrations, mean (ms)',
        },
        {
          key: 'readSmsMeanMs',
          value: stepMean('readSms'),
          label: 'step: read dev SMS outbox, mean (ms)',
        },
        {
          key: 'confirmMeanMs',
          value: stepMean('confirm'),
          label: 'step: POST confirm (incl. operator call), mean (ms)',
        },
        {
          key: 'pollMeanMs',
          value: stepMean('poll'),
          label: 'step: polls while pending, mean (ms)',
        },
        {
          key: 'nodesCpuMsPerRegistration',
          value: per(cpu.selfMs),
          label: 'messenger + operator node CPU per registration (ms)',
        },
        {
          key: 'postgresCpuMsPerRegistration',
          value: per(cpu.postgresMs),
          label: 'PostgreSQL CPU per registration (ms)',
        },
        {
          key: 'clientCpuMsPerRegistration',
          value: per(r.clientCpuMs),
          label: 'load client CPU per registration (ms)',
        },
        {
          key: 'messengerStatementsPerRegistration',
          value: per(statements),
          label: 'messenger node SQL statements per registration',
        },
        { key: 'machineBusyPercent', value: cpu.machineBusyPercent, label: 'machine CPU busy (%)' },
        { key: 'rssMb', value: round(peakRss, 0), label: 'both nodes process peak RSS (MiB)' },
        { key: 'failures', value: r.failures, label: 'failed registrations (must be 0)' },
      ],
      parameters: {
        users,
        warmup,
        concurrency,
        subscribers,
        poolSize,
        smsSendsPerCallerMax: 10_000_000,
        outcomes: r.outcomes,
        statuses: r.statuses,
        messengerUsersByState: Object.fromEntries(rows.map((x) => [x.state, Number(x.n)])),
        firstErrors: r.firstErrors,
        layout:
          'messenger and operator nodes in the benchmark process; client in its own process; PostgreSQL local',
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
        database: 'postgresql',
      },
    };
  } finally {
    await client.close();
    await stopNodes?.();
    await operatorSchema.drop();
    await messengerSchema.drop();
  }
};

/** Runs on PostgreSQL: the harness stands in for autovacuum where the server has it off. */
export const usesPostgres = true;

export default run;
