import { type Static, Type } from '@sinclair/typebox';
import { MAX_BATCH_ITEMS } from '../../protocol/schemas/index.js';

/**
 * Settings of legacy reconciliation (R9, I1), meant as `messenger.legacy` in
 * the config file. Defaults suit a national-scale base on PostgreSQL.
 */
export const LegacyConfigSchema = Type.Object(
  {
    maySendUntil: Type.Optional(
      Type.String({
        pattern:
          '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$',
        description:
          'policy for users awaiting reconciliation (state legacy): they may send messages until this instant; absent = they may not send at all (R6)',
      }),
    ),
    batchSize: Type.Integer({
      minimum: 1,
      maximum: MAX_BATCH_ITEMS,
      default: MAX_BATCH_ITEMS,
      description: 'items per batch request (protocol maximum 10,000)',
    }),
    maxInFlight: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 8,
      description: 'batch requests in flight at once, across all operators',
    }),
    perOperator: Type.Integer({
      minimum: 1,
      maximum: 16,
      default: 2,
      description: 'batch requests in flight at once to any one operator',
    }),
    planChunk: Type.Integer({
      minimum: 100,
      maximum: 1_000_000,
      default: 50_000,
      description: 'users routed and planned per transaction',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type LegacyConfig = Static<typeof LegacyConfigSchema>;
