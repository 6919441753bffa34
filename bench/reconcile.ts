import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipAuditAppendsForBenchmark } from '../src/audit/append-audit-entry.js';
import { loadConfig } from '../src/config/load-config.js';
import { systemClock } from '../src/core/clock.js';
import { newId } from '../src/core/ids.js';
import { createSilentLogger } from '../src/core/logger.js';
import { createPostgresDatabase } from '../src/db/postgres-driver.js';
import { newIdentificationCode } from '../src/messenger/identification/identification-code.js';
import { importLegacyUsers, reconcileLegacyUsers } from '../src/messenger/legacy/index.js';
import { MESSENGER_MIGRATION_SETS } from '../src/messenger/start-messenger-node.js';
import { createNodeCredentials } from '../src/node/node-credentials.js';
import { createOperatorNode, type OperatorNode } from '../src/operator/create-operator-node.js';
import { OPERATOR_MIGRATION_SETS } from '../src/operator/start-operator-node.js';
import { createPartnerClient } from '../src/protocol/http/partner-client.js';
import type { Participant } from '../src/protocol/schemas/index.js';
import {
  createSigner,
  generateSigningKeyPair,
  type Signer,
} from '../src/protocol/signatures/index.js';
import { createRoutingService, loadRoutingTable } from '../src/routing/index.js';
import {
  type Benchmark,
  type BenchmarkContext,
  type BenchmarkResult,
  round,
  rssMb,
} from './harness/benchmark.js';
import { benchDatabaseUrl, intArg } from './support/bench-args.js';
import { type BenchSchema, createBenchSchema } from './support/bench-schema.js';

/**
 * Legacy reconciliation (issue 8, R9, I1) on PostgreSQL:
 * `npm run bench -- reconcile [--users N] [--batch-size N] [--max-in-flight N]
 *  [--per-operator N] [--pool N] [--audit-ratio]`.
 *
 * Four operator nodes (real createOperatorNode, signed HTTP on loopback, each
 * on its own schema and pool, in this process) hold subscribers for every
 * user: user i goes to operator i % 4 (916/926/903/977), and by ⌊i/4⌋ % 20
 * is a match (0–13), reassigned (14–15), without subscriber data (16) or not
 * served (17–19: no contract). The messenger's base is built by the real
 * import of a CSV of `--users` lines (default 1,000,000; the scale
 * is `--users 10000000`: 10M users against 10M subscribers, about 10× the
 * time and a 400 MB temporary file), timed as importUsersPerSecond. Then
 * reconcileLegacyUsers runs end to end (plan, send, apply) and is timed as
 * usersReconciledPerSecond; RSS is sampled every 250 ms throughout.
 * `--audit-ratio` does all of it four times (with, without, without, with
 * every audit append skipped) and reports auditRatioToBaseline (issue 8).
 */
const OPERATORS = [
  { id: 'mts', prefix: '916', inn: '7740000076', owner: 'mMTS', mnc: '01' },
  { id: 'megafon', prefix: '926', inn: '7812014560', owner: 'mMEGAFON', mnc: '02' },
  { id: 'beeline', prefix: '903', inn: '7713076301', owner: 'mBEELINE', mnc: '99' },
  { id: 't2', prefix: '977', inn: '7743895280', owner: 'mT2MOBILE', mnc: '20' },
];
const PLAN_HOLDERS: Record<string, string> = {
  mts: 'ПАО "Мобильные ТелеСистемы"',
  megafon: 'ПАО "МегаФон"',
  beeline: 'ПАО "ВымпелКом"',
  t2: 'ООО "Т2 Мобайл"',
};

const run: Benchmark = async (ctx) => {
  if (!ctx.args.includes('--audit-ratio')) return reconcileOnce(ctx);
  // The same work four times in this run, each on fresh schemas, in the
  // order with / without / without / with the audit log (ABBA), so a trend
  // of the shared machine over the run weighs on both sides alike.
  const order = [true, false, false, true];
  const results: Array<{ audit: boolean; result: BenchmarkResult }> = [];
  for (const [i, audit] of order.entries()) {
    ctx.progress(
      `run ${i + 1} of ${order.length}: ${audit ? 'with the audit log' : 'audit appends skipped'}`,
    );
    skipAuditAppendsForBenchmark(!audit);
    try {
      results.push({ audit, result: await reconcileOnce(ctx) });
    } finally {
      skipAuditAppendsForBenchmark(false);
    }
  }
  const rate = (r: BenchmarkResult) =>
    r.figures.find((f) => f.key === 'usersReconciledPerSecond')?.value ?? Number.NaN;
  const mean = (audit: boolean) => {
    const rates = results.filter((r) => r.audit === audit).map((r) => rate(r.result));
    return rates.reduce((a, b) => a + b, 0) / rates.length;
  };
  const first = results[0]?.result as BenchmarkResult;
  return {
    figures: [
      ...first.figures,
      {
        key: 'usersReconciledPerSecondWithAuditMean',
        value: Math.round(mean(true)),
        label: 'users reconciled per second with the audit log, mean of runs 1 and 4',
      },
      {
        key: 'usersReconciledPerSecondWithoutAuditMean',
        value: Math.round(mean(false)),
        label: 'users reconciled per second, audit appends skipped, mean of runs 2 and 3',
      },
      {
        key: 'auditRatioToBaseline',
        value: round(mean(true) / mean(false), 3),
        label: 'throughput with audit ÷ without (1 = free)',
      },
    ],
    parameters: {
      ...first.parameters,
      runs: results.map((r) => ({ audit: r.audit, usersReconciledPerSecond: rate(r.result) })),
    },
  };
};

async function reconcileOnce(ctx: BenchmarkContext): Promise<BenchmarkResult> {
  const users = intArg(ctx.args, '--users') ?? 1_000_000;
  const batchSize = intArg(ctx.args, '--batch-size') ?? 10_000;
  const maxInFlight = intArg(ctx.args, '--max-in-flight') ?? 8;
  const perOperator = intArg(ctx.args, '--per-operator') ?? 2;
  const poolSize = intArg(ctx.args, '--pool') ?? 6;
  if (users >= 10_000_000 + 1)
    throw new Error('--users is at most 10,000,000 (numbers are 7 digits per range)');
  const url = benchDatabaseUrl();
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-bench-reconcile-'));
  const schemas: BenchSchema[] = [];
  const stops: Array<() => Promise<void>> = [];
  let peakRss = rssMb();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb());
  }, 250);
  try {
    const keys = Object.fromEntries(
      [...OPERATORS.map((o) => o.id), 'tamtam'].map((id) => [
        id,
        generateSigningKeyPair(`${id}-key-1`),
      ]),
    );
    const ports = Object.fromEntries(
      await Promise.all(
        [...OPERATORS.map((o) => o.id)].map(async (id) => [id, await freePort()] as const),
      ),
    );
    const participants: Participant[] = [
      ...OPERATORS.map((o) => ({
        id: o.id,
        role: 'operator' as const,
        name: o.id.toUpperCase(),
        inn: o.inn,
        portOwnerIds: [o.owner],
        mncs: [o.mnc],
        baseUrl: `http://127.0.0.1:${ports[o.id]}`,
        keys: [keys[o.id]?.publicJwk as never],
        agreement: true,
      })),
      {
        id: 'tamtam',
        role: 'messenger',
        name: 'TAMTAM',
        baseUrl: 'http://127.0.0.1:9',
        keys: [keys.tamtam?.publicJwk as never],
        agreement: true,
      },
    ];
    const credentialsOf = (id: string) =>
      createNodeCredentials({
        selfId: id,
        signer: createSigner(keys[id]?.privateJwk as never) as Signer,
        participants,
        numberHashKey: `bench-number-hash-key-${id}-0123456789`,
        internalToken: `bench-internal-token-${id}-0123456789`,
      });

    for (const [k, o] of OPERATORS.entries()) {
      const schema = await createBenchSchema(url, `bench_rec_${o.id}`, OPERATOR_MIGRATION_SETS);
      schemas.push(schema);
      ctx.progress(`${o.id}: loading ${Math.ceil(users / 4).toLocaleString('en-US')} subscribers`);
      await seedOperator(schema, k, o.prefix, Math.ceil((users - k) / 4));
      const db = createPostgresDatabase({
        url,
        schema: schema.schema,
        poolSize,
        applicationName: `bench-${o.id}`,
      });
      const config = loadConfig({
        env: {},
        overrides: { log: { level: 'silent' }, database: { url, schema: schema.schema, poolSize } },
      });
      const node: OperatorNode = await createOperatorNode({
        db,
        clock: systemClock,
        ids: newId,
        log: createSilentLogger(),
        credentials: credentialsOf(o.id),
        config,
      });
      await node.partnerApp.listen({ host: '127.0.0.1', port: ports[o.id] as number });
      stops.push(async () => {
        await node.stop();
        await db.close();
      });
    }

    const messengerSchema = await createBenchSchema(
      url,
      'bench_rec_messenger',
      MESSENGER_MIGRATION_SETS,
    );
    schemas.push(messengerSchema);
    const messengerDb = createPostgresDatabase({ url, schema: messengerSchema.schema, poolSize });
    stops.push(() => messengerDb.close());
    const planFile = join(dir, 'DEF-9xx.csv');
    await writeFile(
      planFile,
      [
        'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН',
        ...OPERATORS.map(
          (o) =>
            `${o.prefix};0000000;9999999;10000000;${PLAN_HOLDERS[o.id]};г. Москва;г. Москва;${o.inn}`,
        ),
      ].join('\n'),
    );
    const routing = await createRoutingService({
      load: async () => (await loadRoutingTable({ planFiles: [planFile], participants })).table,
    });

    const file = join(dir, 'users.csv');
    ctx.progress(`writing ${users.toLocaleString('en-US')} legacy users to ${file}`);
    await writeUsersCsv(file, users);
    ctx.progress('importing legacy users');
    const log = createSilentLogger();
    const importStart = performance.now();
    const imported = await importLegacyUsers({
      db: messengerDb,
      clock: systemClock,
      ids: newId,
      log,
      file,
      chunkLines: 20_000,
    });
    const importSeconds = (performance.now() - importStart) / 1000;
    await messengerDb.exec('ANALYZE');
    for (const s of schemas) await s.db.exec('ANALYZE');

    const credentials = credentialsOf('tamtam');
    const client = createPartnerClient({
      signer: credentials.signer,
      resolveKey: credentials.resolveKey,
      clock: systemClock,
      timeoutMs: 300_000,
      retries: 0,
    });
    const rssBefore = rssMb();
    peakRss = rssBefore;
    const rssSamples: number[] = [];
    let lastReport = 0;
    let firstAppliedSeconds: number | undefined;
    const started = performance.now();
    const summary = await reconcileLegacyUsers(
      {
        db: messengerDb,
        clock: systemClock,
        ids: newId,
        newCode: newIdentificationCode,
        log,
        client,
        directory: credentials.directory,
        routing,
      },
      {
        graceMs: 7 * 24 * 3600 * 1000,
        batchSize,
        maxInFlight,
        perOperator,
        onProgress: (p) => {
          // Planning and sending overlap: this is when the first batch was applied.
          if (p.some((x) => x.batchesDone > 0)) {
            firstAppliedSeconds ??= (performance.now() - started) / 1000;
          }
          rssSamples.push(rssMb());
          if (performance.now() - lastReport < 10_000) return;
          lastReport = performance.now();
          const done = p.reduce((s, x) => s + x.usersDone, 0);
          const total = p.reduce((s, x) => s + x.users, 0);
          const rate = Math.round(done / ((performance.now() - started) / 1000));
          ctx.progress(
            `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} users, ${rate}/s, rss ${Math.round(rssMb())} MB`,
          );
        },
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const reconciled =
      summary.matched + summary.reassigned + summary.noSubscriberData + summary.notServed;
    if (reconciled !== imported.imported || summary.pending !== 0) {
      throw new Error(
        `reconciled ${reconciled} of ${imported.imported}: ${JSON.stringify(summary)}`,
      );
    }
    let auditEntries = 0;
    for (const { db } of schemas) {
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM audit_entries',
      );
      auditEntries += rows[0]?.n ?? 0;
    }
    const half = rssSamples.slice(0, Math.ceil(rssSamples.length / 2));
    const tail = rssSamples.slice(Math.ceil(rssSamples.length / 2));
    return {
      figures: [
        {
          key: 'usersReconciledPerSecond',
          value: Math.round(reconciled / seconds),
          label: 'users reconciled per second (plan + send + apply)',
        },
        { key: 'reconcileSeconds', value: round(seconds, 1), label: 'reconcile wall time (s)' },
        {
          key: 'firstBatchAppliedSeconds',
          value: round(firstAppliedSeconds ?? 0, 1),
          label: 'time until the first batch was applied (s)',
        },
        {
          key: 'importUsersPerSecond',
          value: Math.round(imported.imported / importSeconds),
          label: 'legacy users imported per second',
        },
        {
          key: 'auditEntries',
          value: auditEntries,
          label: 'audit entries written (messenger + operators, incl. import)',
        },
        { key: 'rssBeforeMb', value: Math.round(rssBefore), label: 'RSS before reconcile (MiB)' },
        { key: 'rssPeakMb', value: Math.round(peakRss), label: 'RSS peak during reconcile (MiB)' },
        {
          key: 'rssFirstHalfMaxMb',
          value: Math.round(Math.max(...half, 0)),
          label: 'RSS max, first half of batches (MiB)',
        },
        {
          key: 'rssSecondHalfMaxMb',
          value: Math.round(Math.max(...tail, 0)),
          label: 'RSS max, second half of batches (MiB)',
        },
      ],
      parameters: {
        users,
        batchSize,
        maxInFlight,
        perOperator,
        poolSize,
        summary,
        operatorsInProcess: true,
      },
    };
  } finally {
    clearInterval(sampler);
    for (const stop of stops.reverse()) await stop().catch(() => {});
    for (const s of schemas) await s.drop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs on PostgreSQL: the harness stands in for autovacuum where the server has it off. */
export const usesPostgres = true;

export default run;

/** Operator k's subscribers: users i = 4j + k for j < count (set-up SQL, not the import). */
async function seedOperator(
  schema: BenchSchema,
  k: number,
  prefix: string,
  count: number,
): Promise<void> {
  const chunk = 500_000;
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk) - 1;
    await schema.db.query(
      `INSERT INTO subscriber_contracts
         (msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, updated_at)
       SELECT 7${prefix}0000000::bigint + 4 * j + ${k}, 'c-' || j, 'individual', j % 20 <> 16,
              CASE WHEN j % 20 IN (14, 15) THEN timestamptz '2020-01-01Z' ELSE timestamptz '2015-01-01Z' END,
              now()
       FROM generate_series($1::bigint, $2::bigint) AS j WHERE j % 20 < 17`,
      [from, to],
    );
  }
  await schema.db.exec('ANALYZE subscriber_contracts');
}

async function writeUsersCsv(file: string, users: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('userRef,number,userSince\n');
  let lines: string[] = [];
  for (let i = 0; i < users; i++) {
    const prefix = OPERATORS[i % 4]?.prefix;
    lines.push(`u-${i},+7${prefix}${String(i).padStart(7, '0')},2018-05-05`);
    if (lines.length === 20_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  await once(out, 'finish');
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
