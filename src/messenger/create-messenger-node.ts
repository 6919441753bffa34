import { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Database, Queryable } from '../db/port.js';
import type { HttpApp } from '../http/create-http-app.js';
import { registerNodeProcessMetrics } from '../http/http-metrics.js';
import { createOwnApp, createPartnerApp } from '../node/node-apps.js';
import type { NodeCredentials } from '../node/node-credentials.js';
import { createNodeRuntime, type NodeRuntime } from '../node/node-runtime.js';
import type { DeliverBatch } from '../outbox/index.js';
import { createPartnerClient } from '../protocol/http/partner-client.js';
import type { RoutingService } from '../routing/index.js';
import { createAccountService } from './accounts/account-service.js';
import { registerMessengerAppRoutes } from './http/app-routes.js';
import { registerMessengerPartnerRoutes } from './http/partner-routes.js';
import { messengerWebhooksDocument } from './http/webhooks-openapi.js';
import { type CodeGenerator, newIdentificationCode } from './identification/identification-code.js';
import {
  createMessengerIdentifier,
  type UserChange,
} from './identification/messenger-identifier.js';
import { legacySendPolicy } from './legacy/legacy-send-policy.js';
import type { MessengerNodeConfig } from './messenger-config.js';
import { createMessengerMetrics } from './messenger-metrics.js';
import { createMessengerOutboxTransport } from './messenger-outbox-transport.js';
import { handleNotifications } from './notices/handle-notifications.js';
import { createPermissionCheck } from './permission/permission-check.js';
import { countSmsSends } from './sms/count-sms-sends.js';
import {
  createSmsHasher,
  createSmsSender,
  purgeSmsState,
  randomSmsCode,
  type SmsSender,
} from './sms/index.js';
import { deauthorizeExpiredUsers } from './users/deauthorize-expired.js';

export interface MessengerNodeDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  credentials: NodeCredentials;
  config: MessengerNodeConfig;
  routing: RoutingService;
  smsSecret: string;
  sms?: { sender?: SmsSender; generateCode?: (length: number) => string } | undefined;
  newCode?: CodeGenerator;
  /** Writes a webhook event in the user-change transaction (see src/messenger/webhooks). */
  enqueueWebhook?: (tx: Queryable, change: UserChange) => Promise<void>;
  /** The same for a set of changes in one transaction (one INSERT). */
  enqueueWebhooks?: (tx: Queryable, changes: readonly UserChange[]) => Promise<void>;
  /** Delivers webhook outbox rows to the messenger's backend. */
  webhookTransport?: DeliverBatch;
  fetch?: typeof fetch;
}

export interface MessengerNode {
  /** For the messenger's own backend: bearer credential. */
  appApp: HttpApp;
  /** For operators: signed callbacks and notices. */
  partnerApp: HttpApp;
  runtime: NodeRuntime;
  registry: Registry;
  identifier: ReturnType<typeof createMessengerIdentifier>;
  /** One pass of the background duties: retries, 20-minute expiry, deauthorization. */
  runDuties(): Promise<{ retried: number; expired: number; deauthorized: number }>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Wires a messenger node from its dependencies (nodes.md "Messenger node"). */
export async function createMessengerNode(deps: MessengerNodeDeps): Promise<MessengerNode> {
  const { db, clock, ids, log, credentials, config } = deps;
  const registry = new Registry();
  const observe = {
    accessLog: config.log.access,
    requestSeconds: registerNodeProcessMetrics(registry),
  };
  const metrics = createMessengerMetrics(registry, { db });
  const graceMs = config.messenger.graceSeconds * 1000;
  const client = createPartnerClient({
    signer: credentials.signer,
    resolveKey: credentials.resolveKey,
    clock,
    timeoutMs: config.node.requestTimeoutMs,
    retries: 1,
    maxSkewSeconds: config.node.maxClockSkewSeconds,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const permission = createPermissionCheck({
    db,
    clock,
    ttlMs: config.messenger.permissionCacheMs,
    legacy: legacySendPolicy(config.messenger.legacy),
  });
  const onUserChanged = deps.enqueueWebhook ?? (async () => {});
  const onUsersChanged =
    deps.enqueueWebhooks ??
    (async (tx: Queryable, changes: readonly UserChange[]) => {
      for (const change of changes) await onUserChanged(tx, change);
    });
  let started = false;
  const runtime = createNodeRuntime({
    db,
    databaseUrl: config.database.url,
    clock,
    ids,
    log,
    registry,
    outboxConfig: config.outbox,
    deliver: createMessengerOutboxTransport({
      client,
      directory: credentials.directory,
      webhooks: deps.webhookTransport,
    }),
  });
  const afterUserChanged = (userId: string) => {
    permission.invalidate(userId);
    runtime.outbox.wake();
  };
  const identifier = createMessengerIdentifier({
    db,
    clock,
    ids,
    newCode: deps.newCode ?? newIdentificationCode,
    log,
    client,
    directory: credentials.directory,
    routing: deps.routing,
    graceMs,
    onUserChanged,
    afterUserChanged,
    metrics,
    directorySource: config.node.directoryFile
      ? `the directory file ${config.node.directoryFile}`
      : 'the directory',
  });
  const smsDeps = {
    clock,
    ids,
    log,
    hasher: createSmsHasher(deps.smsSecret),
    sender: countSmsSends(
      deps.sms?.sender ?? createSmsSender(config.sms, { db, clock, ids, log }),
      metrics.smsSends,
    ),
    generateCode: deps.sms?.generateCode ?? randomSmsCode,
    limits: config.sms,
  };
  const accounts = createAccountService({
    db,
    clock,
    ids,
    sms: smsDeps,
    identifier,
    onUserChanged,
    afterUserChanged,
  });

  const runDuties = async () => {
    const retried = await identifier.retryDue();
    const expired = await identifier.expireOverdue();
    const gone = await deauthorizeExpiredUsers({ db, clock, ids, onUserChanged });
    for (const userId of gone) afterUserChanged(userId);
    return { retried, expired, deauthorized: gone.length };
  };
  runtime.every('identification retries and deadlines', config.messenger.pollIntervalMs, runDuties);
  runtime.every('sms state purge', 3_600_000, () => purgeSmsState(db, smsDeps));

  const appDeps = { db, clock, log, credentials, observe, node: config.node };
  const appApp = await createOwnApp(
    { ...appDeps, registry, role: 'messenger' },
    {
      listener: 'app',
      causeCodes: true,
      webhooks: messengerWebhooksDocument(),
      title: 'idbridge messenger — app API',
      description:
        "For the messenger's own backend: registration by SMS code, identification, the may-send check. Bearer credential.",
    },
    (scope) =>
      registerMessengerAppRoutes(scope, {
        db,
        accounts,
        permission,
        devOutboxReadable: config.messenger.devOutboxReadable,
        callerId: 'app',
      }),
  );

  const partnerApp = await createPartnerApp(
    appDeps,
    {
      title: 'idbridge messenger — partner API',
      description:
        'Endpoints operators call (protocol.md §3): identification results and notices. Signed (RFC 9421).',
    },
    (scope) =>
      registerMessengerPartnerRoutes(scope, {
        db,
        directory: credentials.directory,
        identifier,
        handleNotices: async (operatorId, body) => {
          // I2/I5: a port-out is re-identified with the operator that serves the
          // number now, so the routing data is refreshed first (a failed reload
          // keeps the previous table).
          if (body.notifications.some((n) => n.type === 'number_ported_out')) {
            await deps.routing.reload().catch((err) => log.error({ err }, 'routing reload failed'));
          }
          const result = await handleNotifications(
            { db, clock, ids, identifier, graceMs, onUsersChanged, afterUserChanged, metrics },
            operatorId,
            body.notifications,
          );
          // I2: port-outs are re-identified at once, after the acknowledgement
          // is committed; the retry loop covers a crash in between.
          if (started) {
            for (const requestId of result.reidentify) {
              void identifier
                .send(requestId)
                .catch((err) => log.error({ err }, 're-identification send failed'));
            }
          }
          return { acknowledged: result.acknowledged, rejected: result.rejected };
        },
      }),
  );

  return {
    appApp,
    partnerApp,
    runtime,
    registry,
    identifier,
    runDuties,
    async start() {
      started = true;
      await runtime.start();
    },
    async stop() {
      await appApp.close();
      await partnerApp.close();
      await runtime.stop();
      await smsDeps.sender.close();
    },
  };
}
