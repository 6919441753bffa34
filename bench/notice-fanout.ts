/**
 * Issue 6: R7 notice fan-out on PostgreSQL. `--entries N` register entries
 * (default 1,000,000) spread over `--messengers K` messengers (default 3:
 * ceil(N/K) contracts, each identified at every messenger — the realistic
 * shape) are terminated through the operator's R7 hook (writeContractNotices,
 * `--per-transaction` contracts per transaction); then the operator's outbox
 * worker (`--concurrency` slots, batches of 1,000) delivers them to the
 * messenger nodes over loopback HTTP with real signatures, and each messenger
 * records, suspends and acknowledges. All nodes run in this process.
 *
 * Figures: noticesPerSecond = notices / drainSeconds, where the drain runs
 * from starting the worker until no notice is pending (delivered and
 * acknowledged end to end); the notice writing is timed separately; the
 * plain-SQL baseline does the same writes set-based without HTTP
 * (`--skip-baseline` to leave it out). `--cpu-prof-dir DIR` writes a CPU profile
 * of this process for the drain. `--claim-hold lease|transaction` sets how
 * the operator's outbox holds a claimed batch (default: the node's default,
 * transaction), for comparing the two in one series.
 */

import { join } from 'node:path';
import type { Benchmark } from './harness/benchmark.js';
import { round, rssMb } from './harness/benchmark.js';
import { benchDatabaseUrl, intArg, stringArg } from './support/bench-args.js';
import { createBenchSchema } from './support/bench-schema.js';
import { startCpuProfile } from './support/cpu-profile.js';
import { runPlainSqlBaseline } from './support/notice-baseline.js';
import { NOTICE_OPERATOR_ID, startNoticeNetwork } from './support/notice-network.js';
import { seedMessengerUsers, seedOperatorEntries, terminateAll } from './support/notice-seed.js';

const OPERATOR_SETS = ['shared', 'operator'];
const MESSENGER_SETS = ['shared', 'messenger'];

const run: Benchmark = async ({ args, progress }) => {
  const entries = intArg(args, '--entries') ?? 1_000_000;
  const messengerCount = intArg(args, '--messengers') ?? 3;
  const concurrency = intArg(args, '--concurrency') ?? 8;
  const perTransaction = intArg(args, '--per-transaction') ?? 5_000;
  const poolSize = intArg(args, '--pool') ?? 10;
  const skipBaseline = args.includes('--skip-baseline');
  const profileDir = stringArg(args, '--cpu-prof-dir');
  const claimHold = stringArg(args, '--claim-hold');
  if (claimHold !== undefined && claimHold !== 'lease' && claimHold !== 'transaction') {
    throw new Error(`--claim-hold must be lease or transaction, got ${claimHold}`);
  }
  const contracts = Math.ceil(entries / messengerCount);
  const notices = contracts * messengerCount;
  const url = benchDatabaseUrl();
  const messengerIds = Array.from({ length: messengerCount }, (_, i) => `m${i + 1}`);

  const schemas = [await createBenchSchema(url, 'notice_op', OPERATOR_SETS)];
  const cpuStart = process.cpuUsage();
  try {
    const messengerSchemas: Record<string, string> = {};
    for (const id of messengerIds) {
      const s = await createBenchSchema(url, `notice_${id}`, MESSENGER_SETS);
      schemas.push(s);
      messengerSchemas[id] = s.schema;
    }
    const operatorSchema = schemas[0]!;
    progress(`seeding ${contracts} contracts × ${messengerCount} messengers = ${notices} entries`);
    await seedOperatorEntries(operatorSchema.db, contracts, messengerIds);
    for (const [n, id] of messengerIds.entries()) {
      await seedMessengerUsers(schemas[n + 1]!.db, id, NOTICE_OPERATOR_ID, contracts);
    }

    progress('terminating every contract (R7 hook writes the notices)');
    let t = performance.now();
    const written = await terminateAll(operatorSchema.db, contracts, perTransaction);
    const writeSeconds = (performance.now() - t) / 1000;
    if (written !== notices) throw new Error(`wrote ${written} notices, expected ${notices}`);
    await operatorSchema.db.query('ANALYZE outbox');

    const network = await startNoticeNetwork({
      url,
      operatorSchema: operatorSchema.schema,
      messengerSchemas,
      concurrency,
      poolSize,
      claimHold,
    });
    let drainSeconds: number;
    let peakRss = rssMb();
    const cpuDrain = process.cpuUsage();
    try {
      progress(`delivering ${notices} notices (${concurrency} outbox slots)`);
      const stopProfile = profileDir
        ? await startCpuProfile(join(profileDir, 'notice-drain.cpuprofile'))
        : undefined;
      t = performance.now();
      await network.startDelivery();
      let lastReport = t;
      for (;;) {
        await new Promise((r) => setTimeout(r, 250));
        peakRss = Math.max(peakRss, rssMb());
        // The drain's end is polled with a cheap EXISTS; counting a
        // million-row backlog four times a second would itself load the
        // database the bench measures, so the count runs with the progress line.
        const { rows } = await operatorSchema.db.query<{ any: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM outbox WHERE kind = 'notice' AND state = 'pending') AS any`,
        );
        if (!rows[0]?.any) break;
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          const counted = await operatorSchema.db.query<{ n: string }>(
            `SELECT count(*) AS n FROM outbox WHERE kind = 'notice' AND state = 'pending'`,
          );
          const done = notices - Number(counted.rows[0]?.n);
          progress(
            `  ${done} acknowledged, ${round(done / ((lastReport - t) / 1000), 0)}/s so far`,
          );
        }
      }
      drainSeconds = (performance.now() - t) / 1000;
      await stopProfile?.();
    } finally {
      await network.stop();
    }
    const drainCpu = process.cpuUsage(cpuDrain);
    const nodeCpuShare = (drainCpu.user + drainCpu.system) / 1e6 / drainSeconds;

    const check = await operatorSchema.db.query<{ delivered: string; rejected: string }>(
      `SELECT count(*) FILTER (WHERE state = 'delivered') AS delivered,
              count(*) FILTER (WHERE state = 'rejected') AS rejected FROM outbox WHERE kind = 'notice'`,
    );
    let suspended = 0;
    for (const s of schemas.slice(1)) {
      const { rows } = await s.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM users WHERE state = 'suspended'`,
      );
      suspended += Number(rows[0]?.n);
    }
    if (Number(check.rows[0]?.delivered) !== notices || suspended !== notices) {
      throw new Error(
        `not all notices acted on: delivered ${check.rows[0]?.delivered}, rejected ${check.rows[0]?.rejected}, suspended ${suspended}`,
      );
    }

    let baselineSeconds = Number.NaN;
    if (!skipBaseline) {
      progress('plain-SQL baseline of the same writes');
      const blOperator = await createBenchSchema(url, 'notice_bl_op', ['shared']);
      schemas.push(blOperator);
      const blMessengers = [];
      for (const id of messengerIds) {
        const s = await createBenchSchema(url, `notice_bl_${id}`, MESSENGER_SETS);
        schemas.push(s);
        await seedMessengerUsers(s.db, id, NOTICE_OPERATOR_ID, contracts);
        blMessengers.push({ id, db: s.db });
      }
      t = performance.now();
      const done = await runPlainSqlBaseline({
        operatorDb: blOperator.db,
        messengers: blMessengers,
        operatorId: NOTICE_OPERATOR_ID,
        contracts,
        batch: 1_000,
      });
      baselineSeconds = (performance.now() - t) / 1000;
      if (done !== notices) throw new Error(`baseline processed ${done}, expected ${notices}`);
    }

    const noticesPerSecond = notices / drainSeconds;
    const endToEnd = notices / (writeSeconds + drainSeconds);
    const baselinePerSecond = notices / baselineSeconds;
    return {
      figures: [
        {
          key: 'noticesPerSecond',
          value: round(noticesPerSecond, 0),
          label: 'notices delivered+acknowledged per second (drain)',
        },
        {
          key: 'drainSeconds',
          value: round(drainSeconds, 1),
          label: 'time to drain the outbox (s)',
        },
        {
          key: 'writeNoticesPerSecond',
          value: round(notices / writeSeconds, 0),
          label: 'notices written per second (R7 hook)',
        },
        {
          key: 'endToEndPerSecond',
          value: round(endToEnd, 0),
          label: 'notices per second, write + drain',
        },
        {
          key: 'baselinePerSecond',
          value: round(baselinePerSecond, 0),
          label: 'plain-SQL baseline, same writes, per second',
        },
        {
          key: 'ratioToBaseline',
          value: round(endToEnd / baselinePerSecond, 3),
          label: 'write+drain rate / baseline rate',
        },
        {
          key: 'meanRequestMs',
          value: round(network.requests.totalMs / Math.max(1, network.requests.count), 1),
          label: 'mean POST /v1/notifications time (ms)',
        },
        {
          key: 'nodeCpuCores',
          value: round(nodeCpuShare, 2),
          label: 'Node CPU during drain (cores)',
        },
        { key: 'rssMb', value: round(peakRss, 0), label: 'peak RSS (MiB)' },
      ],
      parameters: {
        entries: notices,
        contracts,
        messengers: messengerCount,
        outboxConcurrency: concurrency,
        claimHold: claimHold ?? 'transaction',
        batchItems: 1_000,
        perTransaction,
        poolSizePerNode: poolSize,
        requests: network.requests.count,
        maxRequestMs: round(network.requests.maxMs, 0),
        writeSeconds: round(writeSeconds, 1),
        baselineSeconds: round(baselineSeconds, 1),
        processCpuSeconds: round(
          (process.cpuUsage(cpuStart).user + process.cpuUsage(cpuStart).system) / 1e6,
          1,
        ),
        target: '≥ 20,000 notices/s with batching (issue 6)',
      },
    };
  } finally {
    for (const s of schemas.reverse()) await s.drop().catch(() => {});
  }
};

/** Runs on PostgreSQL: the harness stands in for autovacuum where the server has it off. */
export const usesPostgres = true;

export default run;
