import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CrashNetwork,
  FIRST_MSISDN,
  MESSENGER_IDS,
  prepareCrashNetwork,
  seedCrashNetwork,
} from './crash-network.js';
import { type CrashProcess, createCrashProcess } from './crash-process.js';
import { readCrashCounts } from './read-crash-counts.js';

/**
 * Issue 6 crash test (R7, protocol.md §5): two operator processes (one
 * participant, one schema, both delivering) and one process hosting three
 * messengers. 10,000 contracts end while every process is SIGKILLed at
 * random moments and restarted; afterwards each of the 30,000 notices must
 * have been written, delivered and acted on by its messenger exactly once.
 *
 * Real time and real processes, on PostgreSQL only: crashes are what is
 * tested, and PGlite is single-process.
 */
const CONTRACTS = 10_000;
const NOTICES = CONTRACTS * MESSENGER_IDS.length;
const MIN_KILLS = 10;
const EVENTS_PER_REQUEST = 100;
const SENDING_LANES = 4;
const DRAIN_TIMEOUT_MS = 5 * 60_000;

const url = process.env.DATABASE_URL;

describe.runIf(url)('notices survive SIGKILL of operators and messengers (issue 6)', () => {
  let net: CrashNetwork;
  let operators: [CrashProcess, CrashProcess];
  let messengers: CrashProcess;

  beforeAll(async () => {
    net = await prepareCrashNetwork(url as string);
    await seedCrashNetwork(net, CONTRACTS);
    operators = net.operatorConfigs.map((file, n) =>
      createCrashProcess({
        name: `operator-${n}`,
        args: ['bin/idbridge.js', 'operator', '--config', file],
        readyMarker: 'operator mts: partner API',
        logFile: join(net.dir, `operator-${n}.log`),
      }),
    ) as [CrashProcess, CrashProcess];
    messengers = createCrashProcess({
      name: 'messengers',
      args: [
        '--import',
        'tsx',
        'test/notices/crash/three-messengers-process.ts',
        ...net.messengerConfigs,
      ],
      readyMarker: 'messengers ready',
      logFile: join(net.dir, 'messengers.log'),
    });
    await Promise.all([...operators, messengers].map((p) => p.start()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...(operators ?? []), messengers].filter(Boolean).map((p) => p.kill()));
    await net?.drop();
  }, 60_000);

  it(
    'acts on each of 30,000 notices exactly once though every process is killed at least 10 times',
    async () => {
      const occurredAt = new Date().toISOString();
      const events = Array.from({ length: CONTRACTS }, (_, i) => ({
        type: 'contract_terminated' as const,
        eventId: randomUUID(),
        msisdn: `+${FIRST_MSISDN + i}`,
        contractId: `C-${i}`,
        occurredAt,
      }));
      const batches: (typeof events)[] = [];
      for (let i = 0; i < events.length; i += EVENTS_PER_REQUEST) {
        batches.push(events.slice(i, i + EVENTS_PER_REQUEST));
      }

      let sendFailures = 0;
      /** Sends one batch until every event in it is applied; idempotent by eventId. */
      const sendBatch = async (batch: typeof events, lane: number) => {
        for (let attempt = 0; ; attempt++) {
          const target = net.operatorInternalUrls[(lane + attempt) % 2] as string;
          try {
            const res = await fetch(`${target}/internal/v1/subscriber-events`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${net.internalToken}`,
              },
              body: JSON.stringify({ events: batch }),
              signal: AbortSignal.timeout(30_000),
            });
            const body = (await res.json()) as { results?: Array<{ status: string }> };
            if (res.status === 200 && body.results?.every((r) => r.status === 'applied')) return;
            if (res.status === 200) {
              const bad = body.results?.find((r) => r.status !== 'applied');
              // A refusal would mean the event was not applied for good: a test failure.
              if (bad?.status === 'refused')
                throw new Error(`event refused: ${JSON.stringify(bad)}`);
            }
          } catch (err) {
            if (err instanceof Error && err.message.startsWith('event refused')) throw err;
          }
          sendFailures++;
          await sleep(100);
        }
      };

      let sending = true;
      const sender = (async () => {
        let next = 0;
        await Promise.all(
          Array.from({ length: SENDING_LANES }, async (_, lane) => {
            for (let b = next++; b < batches.length; b = next++) {
              await sendBatch(batches[b] as typeof events, lane);
            }
          }),
        );
        sending = false;
      })();

      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const killsUnderLoad = { count: 0 };
      const pendingNotices = async () =>
        Number(
          (
            await admin.query<{ n: string }>(
              `SELECT count(*) AS n FROM ${net.operatorSchema}.outbox WHERE kind = 'notice' AND state = 'pending'`,
            )
          ).rows[0]?.n,
        );
      /** Kills `p` at random moments 0.3–2 s after each (re)start, MIN_KILLS times, restarting it at once. */
      const chaos = async (p: CrashProcess) => {
        while (p.kills < MIN_KILLS) {
          await sleep(300 + Math.random() * 1_700);
          if (sending || (await pendingNotices()) > 0) killsUnderLoad.count++;
          await p.kill();
          await p.start();
        }
      };
      const started = Date.now();
      try {
        await Promise.all([sender, ...[...operators, messengers].map(chaos)]);
        const chaosSeconds = (Date.now() - started) / 1000;

        // Every process is up again: the outbox must drain (leases of killed
        // workers expire after 10 s; failed batches retry within a second).
        const deadline = Date.now() + DRAIN_TIMEOUT_MS;
        while ((await pendingNotices()) > 0 && Date.now() < deadline) await sleep(500);
        const counts = await readCrashCounts(admin, net);
        const drainSeconds = (Date.now() - started) / 1000 - chaosSeconds;

        console.log(
          [
            'notice crash test (issue 6):',
            `  contracts terminated            ${counts.contractsEnded} / ${CONTRACTS}`,
            `  notices written                 ${counts.noticesWritten} / ${NOTICES}`,
            `  notices delivered (operator)    ${counts.noticesDelivered}`,
            `  notices pending / rejected      ${counts.noticesPending} / ${counts.noticesRejected}`,
            `  notices received (messengers)   ${counts.noticesReceived} rows, ${counts.distinctReceived} distinct ids`,
            `  written but never received      ${counts.lost}`,
            `  notices acted on (suspensions)  ${counts.noticesActedOn}`,
            `  users suspended                 ${counts.usersSuspended}`,
            `  users with one suspension       ${counts.usersSuspendedOnce}`,
            `  users acted on twice            ${counts.usersActedTwice}`,
            `  delivery attempts (claims)      ${counts.deliveryAttempts}`,
            `  kills                           ${[...operators, messengers].map((p) => `${p.name}=${p.kills}`).join(' ')}`,
            `  kills while work outstanding    ${killsUnderLoad.count}`,
            `  event requests retried          ${sendFailures}`,
            `  chaos phase ${chaosSeconds.toFixed(1)} s, drain after it ${drainSeconds.toFixed(1)} s`,
          ].join('\n'),
        );

        for (const p of [...operators, messengers])
          expect(p.kills).toBeGreaterThanOrEqual(MIN_KILLS);
        expect(counts).toMatchObject({
          contractsEnded: CONTRACTS,
          entriesClosed: NOTICES,
          noticesWritten: NOTICES,
          distinctNoticeEntries: NOTICES,
          noticesDelivered: NOTICES,
          noticesPending: 0,
          noticesRejected: 0,
          noticesReceived: NOTICES,
          distinctReceived: NOTICES,
          receivedUnknown: 0,
          lost: 0,
          noticesActedOn: NOTICES,
          usersSuspended: NOTICES,
          usersSuspendedOnce: NOTICES,
          usersActedTwice: 0,
          suspensionsWithoutNotice: 0,
        });
      } finally {
        await admin.end();
      }
    },
    9 * 60_000,
  );
});
