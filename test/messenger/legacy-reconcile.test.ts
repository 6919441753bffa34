import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Database, Queryable } from '../../src/db/port.js';
import {
  importLegacyUsers,
  type LegacyUsersChanged,
  type OperatorProgress,
  readLegacySummary,
  reconcileLegacyUsers,
} from '../../src/messenger/legacy/index.js';
import { describeEachDriver } from '../helpers/test-database.js';
import { type LegacyNetwork, startLegacyNetwork } from './legacy-network.js';
import {
  expectedSummary,
  plantedPorts,
  seedPlantedOperators,
  writePlantedCsv,
} from './legacy-planted-mix.js';

/** Issue 8's size: 100,000 legacy users across four operators (about a minute on PGlite here). */
const FULL_SIZE = 100_000;
/** The crash tests: many small batches, so a stop lands midway. */
const RESUME_SIZE = 8_000;
const RESUME_BATCH = 250;
const GRACE_MS = 7 * 24 * 3600 * 1000;
const SLOW = 900_000;

describeEachDriver('legacy reconciliation (R9, I1)', (kind) => {
  let network: LegacyNetwork | undefined;
  afterEach(async () => {
    await network?.close();
    network = undefined;
  });

  /** A network holding the planted mix of `size` users, imported and not yet reconciled. */
  async function plantedNetwork(size: number): Promise<LegacyNetwork> {
    const n = await startLegacyNetwork(kind, { ported: plantedPorts(size, 15) });
    network = n;
    await seedPlantedOperators(n, size);
    const file = join(await mkdtemp(join(tmpdir(), 'idbridge-legacy-users-')), 'users.csv');
    await writePlantedCsv(file, size);
    const imported = await importLegacyUsers({ ...n.deps, file, chunkLines: 20_000 });
    expect(imported.imported).toBe(size - size / 20);
    // c 16: the numbers moved after the routing snapshot was loaded (stale until a reload).
    await n.port(plantedPorts(size, 16));
    return n;
  }

  async function batchDecisionsAtOperators(n: LegacyNetwork): Promise<number> {
    let total = 0;
    for (const op of Object.values(n.operators)) {
      const { rows } = await op.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM idempotent_requests WHERE request_key LIKE 'batch:%'`,
      );
      total += Number(rows[0]?.n);
    }
    return total;
  }

  async function openRegisterEntries(n: LegacyNetwork): Promise<number> {
    let total = 0;
    for (const op of Object.values(n.operators)) {
      const { rows } = await op.db.query<{ n: string }>(
        'SELECT count(*) AS n FROM register_entries WHERE closed_at IS NULL',
      );
      total += Number(rows[0]?.n);
    }
    return total;
  }

  /**
   * Numbers an operator was asked about more than once. A number goes to one
   * operator once (a re-send under the same batchId is answered from the
   * idempotency record and asks nothing); only a re-route after NOT_SERVED
   * asks again, and then another operator.
   */
  async function numbersAskedTwice(n: LegacyNetwork): Promise<number> {
    let total = 0;
    for (const op of Object.values(n.operators)) {
      const { rows } = await op.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT msisdn_hash FROM identification_requests
           GROUP BY msisdn_hash HAVING count(*) > 1) twice`,
      );
      total += Number(rows[0]?.n);
    }
    return total;
  }

  /** Each batch decided once, each match registered once, no number asked twice. */
  async function expectOperatorsDecidedOnce(
    n: LegacyNetwork,
    summary: { batches: number; matched: number },
  ): Promise<void> {
    expect(await batchDecisionsAtOperators(n)).toBe(summary.batches);
    expect(await openRegisterEntries(n)).toBe(summary.matched);
    expect(await numbersAskedTwice(n)).toBe(0);
  }

  /** Every batch posted exactly once, and the operators' once-only checks. */
  async function expectEachBatchSentOnce(
    n: LegacyNetwork,
    summary: { batches: number; matched: number },
  ): Promise<void> {
    expect(new Set(n.batchPosts).size).toBe(n.batchPosts.length);
    expect(n.batchPosts.length).toBe(summary.batches);
    await expectOperatorsDecidedOnce(n, summary);
  }

  async function usersByState(db: Database): Promise<Record<string, number>> {
    const { rows } = await db.query<{ state: string; n: string }>(
      'SELECT state, count(*) AS n FROM users GROUP BY state',
    );
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  it(
    `reconciles ${FULL_SIZE.toLocaleString('en-US')} users across four operators with every summary count exactly right`,
    async () => {
      const n = await plantedNetwork(FULL_SIZE);
      const progress: OperatorProgress[][] = [];
      const summary = await reconcileLegacyUsers(n.deps, {
        graceMs: GRACE_MS,
        onProgress: (p) => progress.push(p),
      });
      const expected = expectedSummary(FULL_SIZE);
      expect(summary).toMatchObject(expected);
      expect(summary.batchResends).toBe(0);
      // Every batch was sent exactly once and decided once at its operator.
      await expectEachBatchSentOnce(n, summary);
      // Confirmed users are identified with the code the operator registered (I3).
      const { rows: identified } = await n.messengerDb.query<{ code: string; operator_id: string }>(
        `SELECT identification_code AS code, operator_id FROM users WHERE state = 'identified'`,
      );
      for (const [id, op] of Object.entries(n.operators)) {
        const codes = identified.filter((u) => u.operator_id === id).map((u) => u.code);
        const { rows } = await op.db.query<{ n: string }>(
          'SELECT count(*) AS n FROM register_entries WHERE closed_at IS NULL AND code = ANY($1::text[])',
          [codes],
        );
        expect(Number(rows[0]?.n)).toBe(codes.length);
      }
      // The others are suspended for re-identification as new users (R9).
      expect(await usersByState(n.messengerDb)).toEqual({
        identified: expected.matched,
        suspended:
          expected.reassigned +
          expected.noSubscriberData +
          expected.notServed +
          expected.unroutable,
      });
      // Every move is audited in the sets it was made in (issue 8): each
      // identified or suspended user exactly once, suspensions with a reason.
      const { rows: sets } = await n.messengerDb.query<{
        subject: string;
        data: { users: { userId: string[]; reason?: string[] } };
      }>("SELECT subject, data FROM audit_entries WHERE kind = 'user.transitions'");
      const audited = sets.flatMap((s) => s.data.users.userId);
      expect(new Set(audited).size).toBe(audited.length);
      const moved = await n.messengerDb.query<{ user_id: string }>(
        "SELECT user_id FROM users WHERE state IN ('identified', 'suspended')",
      );
      expect(new Set(audited)).toEqual(new Set(moved.rows.map((r) => r.user_id)));
      for (const s of sets.filter((x) => x.subject === 'legacy:suspended')) {
        expect(s.data.users.reason).toHaveLength(s.data.users.userId.length);
      }
      // Progress was reported per operator and ends complete.
      const last = progress.at(-1) ?? [];
      expect(last.map((p) => p.operatorId).sort()).toEqual(['beeline', 'megafon', 'mts', 't2']);
      for (const p of last) expect(p.batchesDone).toBe(p.batches);
      // A second run has nothing left to send.
      const again = await reconcileLegacyUsers(n.deps, { graceMs: GRACE_MS });
      expect(again).toEqual(summary);
      expect(n.batchPosts.length).toBe(summary.batches);
    },
    SLOW,
  );

  it('plans and applies every batch in transactions that join by key lookups', async () => {
    const n = await plantedNetwork(2_000);
    // Each transaction's statements, as the messenger database received them.
    const transactions: string[][] = [];
    const db = n.deps.db;
    const recording: Database = Object.create(db);
    recording.transaction = (fn) =>
      db.transaction((tx) => {
        const seen: string[] = [];
        transactions.push(seen);
        const spy: Queryable = {
          query: (sql, params) => {
            seen.push(sql);
            return tx.query(sql, params);
          },
          exec: (sql) => tx.exec(sql),
        };
        return fn(spy);
      });
    const summary = await reconcileLegacyUsers(
      { ...n.deps, db: recording },
      { graceMs: GRACE_MS, batchSize: 250 },
    );
    expect(summary).toMatchObject(expectedSummary(2_000));
    // Planning writes batch rows with their items; applying writes each
    // user's row once (the CASE on the answer). Planning no longer updates
    // a planned user's row.
    const planning = transactions.filter((t) =>
      t.some((sql) => /INSERT INTO legacy_batches/.test(sql)),
    );
    const applying = transactions.filter((t) => t.some((sql) => /status = CASE/.test(sql)));
    expect(planning.length).toBeGreaterThan(0);
    expect(applying.length).toBe(summary.batches);
    for (const t of planning) {
      expect(
        t.filter((sql) => /UPDATE legacy_users/.test(sql) && !/route_failure/.test(sql)),
      ).toEqual([]);
    }
    for (const t of [...planning, ...applying]) {
      const setting = t.findIndex((sql) =>
        /set_config\('enable_hashjoin', 'off', true\)/.test(sql),
      );
      const firstJoin = t.findIndex((sql) => /FROM unnest|JOIN users/.test(sql));
      expect(setting).toBeGreaterThanOrEqual(0);
      expect(setting).toBeLessThan(firstJoin);
    }
  });

  it(
    'resumes after an abort midway without sending any batch twice',
    async () => {
      const n = await plantedNetwork(RESUME_SIZE);
      const stop = new AbortController();
      let applied = 0;
      const changed = { identified: new Set<string>(), suspended: new Set<string>(), calls: 0 };
      const onUsersChanged: LegacyUsersChanged = async (_tx, change) => {
        for (const id of change.userIds) changed[change.state].add(id);
        changed.calls += change.userIds.length;
      };
      await expect(
        reconcileLegacyUsers(n.deps, {
          graceMs: GRACE_MS,
          batchSize: RESUME_BATCH,
          onUsersChanged,
          signal: stop.signal,
          onProgress: (p) => {
            applied = p.reduce((s, x) => s + x.batchesDone, 0);
            if (applied >= 10) stop.abort(new Error('Ctrl-C'));
          },
        }),
      ).rejects.toThrow('Ctrl-C');
      const midway = await readLegacySummary(n.messengerDb);
      expect(midway.pending).toBeGreaterThan(0);
      const sentBefore = n.batchPosts.length;
      expect(sentBefore).toBeGreaterThanOrEqual(10);
      expect(sentBefore).toBeLessThan(midway.batches);

      const summary = await reconcileLegacyUsers(n.deps, {
        graceMs: GRACE_MS,
        batchSize: RESUME_BATCH,
        onUsersChanged,
      });
      expect(summary).toMatchObject(expectedSummary(RESUME_SIZE));
      expect(summary.batchResends).toBe(0);
      // Every user's move was reported once, across both runs.
      expect(changed.identified.size).toBe(summary.matched);
      expect(changed.suspended.size).toBe(
        summary.reassigned + summary.noSubscriberData + summary.notServed + summary.unroutable,
      );
      expect(changed.calls).toBe(changed.identified.size + changed.suspended.size);
      await expectEachBatchSentOnce(n, summary);
    },
    SLOW,
  );

  it(
    'after a crash between answer and apply, re-sends that batch under the same batchId and the operator decides it once',
    async () => {
      const n = await plantedNetwork(RESUME_SIZE);
      let answered = 0;
      let crashed: string | undefined;
      await expect(
        reconcileLegacyUsers(n.deps, {
          graceMs: GRACE_MS,
          batchSize: RESUME_BATCH,
          maxInFlight: 1,
          afterSend: (batchId) => {
            answered += 1;
            if (answered === 7) {
              crashed = batchId;
              throw new Error('crash before apply');
            }
          },
        }),
      ).rejects.toThrow('crash before apply');
      expect(n.batchPosts).toHaveLength(7);

      const summary = await reconcileLegacyUsers(n.deps, {
        graceMs: GRACE_MS,
        batchSize: RESUME_BATCH,
      });
      expect(summary).toMatchObject(expectedSummary(RESUME_SIZE));
      // Only the crashed batch went out twice, with the same batchId and body (idempotent).
      expect(n.batchPosts.filter((b) => b === crashed)).toHaveLength(2);
      expect(n.batchPosts.length).toBe(summary.batches + 1);
      expect(summary.batchResends).toBe(1);
      await expectOperatorsDecidedOnce(n, summary);
    },
    SLOW,
  );
  it(
    'sends full batches while planning still runs, and re-routes NOT_SERVED numbers only in the next round (I5)',
    async () => {
      const n = await plantedNetwork(RESUME_SIZE);
      const waitingAtFirstAnswer: number[] = [];
      let answered: () => void = () => {};
      const firstAnswer = new Promise<void>((resolve) => {
        answered = resolve;
      });
      let chunks = 0;
      let waitedForAnswer: boolean | undefined;
      const summary = await reconcileLegacyUsers(n.deps, {
        graceMs: GRACE_MS,
        batchSize: RESUME_BATCH,
        // Many small planning transactions, so full batches exist long before planning ends.
        planChunk: RESUME_BATCH,
        overlapPlanning: true,
        // Planning pauses after its 8th transaction (some batches are full by then)
        // until a batch is answered: only a sender that does not wait for the
        // end of planning gets one answered within the 30 s.
        afterPlanChunk: async () => {
          chunks += 1;
          if (chunks !== 8) return;
          waitedForAnswer = await Promise.race([
            firstAnswer.then(() => true),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000)),
          ]);
        },
        afterSend: async () => {
          if (waitingAtFirstAnswer.length > 0) return;
          // Waiting and in no batch yet: not planned.
          const { rows } = await n.messengerDb.query<{ n: string }>(
            `SELECT count(*) AS n FROM legacy_users lu
             WHERE lu.status = 'waiting' AND lu.not_served_by IS NULL
               AND NOT EXISTS (SELECT 1 FROM legacy_batches b WHERE lu.user_id = ANY (b.user_ids))`,
          );
          waitingAtFirstAnswer.push(Number(rows[0]?.n));
          answered();
        },
      });
      expect(waitedForAnswer).toBe(true);
      // A batch was answered while users not yet planned were still waiting.
      expect(waitingAtFirstAnswer[0]).toBeGreaterThan(0);
      expect(summary).toMatchObject(expectedSummary(RESUME_SIZE));
      expect(summary.batchResends).toBe(0);
      await expectEachBatchSentOnce(n, summary);
    },
    SLOW,
  );

  it(
    'a second reconcile started while one is planning takes planning over: the first stops with CONFLICT, no number is asked twice',
    async () => {
      const n = await plantedNetwork(RESUME_SIZE);
      const plannerRun = async () => {
        const { rows } = await n.messengerDb.query<{ run_id: string }>(
          'SELECT run_id FROM legacy_planner',
        );
        return rows[0]?.run_id;
      };
      let chunks = 0;
      let second: Promise<unknown> | undefined;
      const first = reconcileLegacyUsers(n.deps, {
        graceMs: GRACE_MS,
        batchSize: RESUME_BATCH,
        planChunk: RESUME_BATCH,
        afterPlanChunk: async () => {
          chunks += 1;
          if (chunks !== 3) return;
          // The second run starts beside the first and takes the planner
          // before the first plans its fourth chunk.
          const mine = await plannerRun();
          second = reconcileLegacyUsers(n.deps, { graceMs: GRACE_MS, batchSize: RESUME_BATCH });
          // Bounded: a second run that failed before taking the planner ends the wait.
          const takenBy = Date.now() + 30_000;
          while ((await plannerRun()) === mine && Date.now() < takenBy) {
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        },
      });
      await expect(first).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(chunks).toBe(3);
      await second;
      // What the first run left unapplied, if anything, a third run finishes.
      const summary = await reconcileLegacyUsers(n.deps, {
        graceMs: GRACE_MS,
        batchSize: RESUME_BATCH,
      });
      expect(summary).toMatchObject(expectedSummary(RESUME_SIZE));
      await expectOperatorsDecidedOnce(n, summary);
    },
    SLOW,
  );
});
