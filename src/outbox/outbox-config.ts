import { type Static, Type } from '@sinclair/typebox';
import { NOTICE_DEADLINE_MS } from '../core/deadlines.js';
import { DEFAULT_BACKOFF_MS, MAX_BACKOFF_STEP_MS } from './backoff-schedule.js';

/**
 * The `outbox` section of a node's config. Defaults follow protocol.md §5.
 */
export const OutboxConfigSchema = Type.Object(
  {
    pollIntervalMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1_000 }),
    concurrency: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
    claimHold: Type.Union([Type.Literal('transaction'), Type.Literal('lease')], {
      default: 'transaction',
      description:
        'PostgreSQL: hold a batch by row locks in an open transaction from claim to outcome (fewer writes), or by a lease written into the rows; PGlite always uses a lease',
    }),
    leaseMs: Type.Integer({
      minimum: 5_000,
      maximum: 600_000,
      default: 60_000,
      description:
        'a delivery is given up after this; a dead worker’s leased claims are delivered by another after it (claims held in a transaction: at once)',
    }),
    maxBatchItems: Type.Integer({ minimum: 1, maximum: 1_000, default: 1_000 }),
    backoffMs: Type.Array(Type.Integer({ minimum: 1, maximum: MAX_BACKOFF_STEP_MS }), {
      minItems: 1,
      default: [...DEFAULT_BACKOFF_MS],
      description: 'delay after the 1st, 2nd, … failed attempt; the last repeats',
    }),
    circuitFailureThreshold: Type.Integer({ minimum: 1, maximum: 1_000, default: 5 }),
    circuitCoolDownMs: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: 60_000 }),
    deadlineWarnBeforeMs: Type.Integer({
      minimum: 0,
      maximum: NOTICE_DEADLINE_MS,
      default: 2 * 3_600_000,
      description: 'raise a compliance alert this long before an undelivered item’s deadline',
    }),
    housekeepingIntervalMs: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 30_000 }),
  },
  { additionalProperties: false, default: {} },
);

export type OutboxConfig = Static<typeof OutboxConfigSchema>;
