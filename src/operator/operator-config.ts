import { type Static, Type } from '@sinclair/typebox';
import type { SharedNodeConfig } from '../node/node-config.js';
import type { OutboxConfig } from '../outbox/outbox-config.js';
import { NatsConsumerConfigSchema } from './subscribers/nats/nats-config.js';

const Strict = { additionalProperties: false, default: {} } as const;

/** The `operator` section: what only an operator node reads. */
export const OperatorConfigSchema = Type.Object(
  {
    slowPath: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'contracts flagged needs_bss_check answer 202 and are decided later',
        }),
        checkerUrl: Type.Optional(
          Type.String({
            pattern: '^https?://',
            description: 'BSS check endpoint; without it the sweeper answers at the deadline',
          }),
        ),
        pollIntervalMs: Type.Integer({ minimum: 10, default: 1000 }),
        decideWithinMs: Type.Integer({
          minimum: 1000,
          maximum: 1_200_000,
          default: 1_140_000,
          description: 'undecided requests are answered not_confirmed after this (R10: < 20 min)',
        }),
      },
      Strict,
    ),
    identificationGroups: Type.Object(
      {
        maxSize: Type.Integer({
          minimum: 1,
          maximum: 1000,
          default: 64,
          description:
            'single identifications decided together in one transaction when they queue up; 1: each alone',
        }),
        inFlight: Type.Integer({
          minimum: 1,
          maximum: 200,
          default: 2,
          description:
            'transactions deciding single identifications at once (keep below database.poolSize)',
        }),
      },
      Strict,
    ),
    nats: NatsConsumerConfigSchema,
  },
  Strict,
);

/** What an operator node is configured by: the shared sections, the outbox, its own section. */
export type OperatorNodeConfig = Readonly<
  SharedNodeConfig & { outbox: OutboxConfig; operator: Static<typeof OperatorConfigSchema> }
>;
