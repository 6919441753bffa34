import type { Registry } from 'prom-client';
import type { Database } from '../db/port.js';
import {
  ANSWER_TIME_BOUNDS_S,
  answersOverTime,
  answerTimeDistribution,
  recentRequests,
  requestDeadlineMisses,
} from './identification-dashboard-store.js';
import { maskMsisdn } from './mask-msisdn.js';
import { missedAttempts, recentUsers, usersByState } from './messenger-dashboard-store.js';
import {
  NOTICE_DELAY_BOUNDS_S,
  noticeBacklog,
  noticeDeadlineMisses,
  noticeDelayDistribution,
  recentNotices,
} from './notice-dashboard-store.js';
import { partnerOutboxHealth } from './partner-health-store.js';

/** The nodes a console reads: one node's own console has one of them, the sandbox all. */
export interface ConsoleNodes {
  operators: Array<{ id: string; name: string; db: Database; registry?: Registry }>;
  messenger?: { id: string; db: Database; registry?: Registry } | undefined;
}

const HOUR_MS = 3_600_000;
const TABLE_ROWS = 20;

/** 'open' when this process holds the partner's circuit open (outbox gauge). */
async function openCircuits(registry: Registry | undefined): Promise<Set<string>> {
  const gauge = registry?.getSingleMetric('idbridge_outbox_circuit_open');
  if (!gauge) return new Set();
  const { values } = await gauge.get();
  return new Set(values.filter((v) => v.value === 1).map((v) => String(v.labels.partner ?? '')));
}

/**
 * Everything the dashboards draw, read straight from the node databases.
 * Numbers come out masked (R11); codes are shown, as they identify nothing
 * without the messenger's user table. Reads only; safe at any time.
 */
export async function readConsoleDashboard(nodes: ConsoleNodes, now: Date) {
  const since = new Date(now.getTime() - HOUR_MS);
  const operators = [];
  for (const op of nodes.operators) {
    const circuits = await openCircuits(op.registry);
    operators.push({
      id: op.id,
      name: op.name,
      answersOverTime: await answersOverTime(op.db, { since, bucketMs: 60_000 }),
      answerTimes: await answerTimeDistribution(op.db, since),
      recentRequests: await recentRequests(op.db, TABLE_ROWS),
      requestMisses: await requestDeadlineMisses(op.db, { now, limit: TABLE_ROWS }),
      noticeBacklog: await noticeBacklog(op.db, now),
      noticeDelays: await noticeDelayDistribution(op.db),
      recentNotices: await recentNotices(op.db, TABLE_ROWS),
      noticeMisses: await noticeDeadlineMisses(op.db, { now, limit: TABLE_ROWS }),
      partners: (await partnerOutboxHealth(op.db)).map((p) => ({
        ...p,
        circuit: circuits.has(p.partnerId) ? 'open' : 'closed',
      })),
    });
  }
  let messenger = null;
  if (nodes.messenger) {
    const m = nodes.messenger;
    const circuits = await openCircuits(m.registry);
    messenger = {
      id: m.id,
      usersByState: await usersByState(m.db),
      users: (await recentUsers(m.db, TABLE_ROWS)).map((u) => ({
        ...u,
        msisdn: maskMsisdn(u.msisdn),
      })),
      missedAttempts: await missedAttempts(m.db, TABLE_ROWS),
      partners: (await partnerOutboxHealth(m.db)).map((p) => ({
        ...p,
        circuit: circuits.has(p.partnerId) ? 'open' : 'closed',
      })),
    };
  }
  return {
    now: now.toISOString(),
    answerTimeBoundsS: ANSWER_TIME_BOUNDS_S,
    noticeDelayBoundsS: NOTICE_DELAY_BOUNDS_S,
    operators,
    messenger,
  };
}

export type ConsoleDashboard = Awaited<ReturnType<typeof readConsoleDashboard>>;
