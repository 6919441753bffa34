import { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../db/port.js';
import type { HttpApp } from '../http/create-http-app.js';
import { registerNodeProcessMetrics } from '../http/http-metrics.js';
import { createOwnApp, createPartnerApp } from '../node/node-apps.js';
import type { NodeCredentials } from '../node/node-credentials.js';
import { createNodeRuntime, type NodeRuntime } from '../node/node-runtime.js';
import { createPartnerClient } from '../protocol/http/partner-client.js';
import { registerOperatorInternalRoutes } from './http/internal-routes.js';
import { registerOperatorPartnerRoutes } from './http/partner-routes.js';
import { createIdentify, type IdentifyStats } from './identification/identify-requests.js';
import {
  type BssChecker,
  checkPendingIdentifications,
  type SlowPathAnswer,
  sweepOverdueIdentifications,
} from './identification/slow-path.js';
import type { OperatorNodeConfig } from './operator-config.js';
import { createOperatorMetrics, registerIdentifyMetrics } from './operator-metrics.js';
import { createOperatorOutboxTransport } from './operator-outbox-transport.js';
import { applySubscriberEvents } from './subscribers/apply-subscriber-events.js';
import type { SubscriberEventResult } from './subscribers/subscriber-event-result.js';
import type { SubscriberEvent } from './subscribers/subscriber-event-schema.js';

export interface OperatorNodeDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  credentials: NodeCredentials;
  config: OperatorNodeConfig;
  /** The BSS behind the slow path; without one the sweeper answers at the deadline. */
  checker?: BssChecker | undefined;
  fetch?: typeof fetch;
}

export interface OperatorNode {
  /** Partner-facing: signed protocol.md §2 routes, health, docs. */
  partnerApp: HttpApp;
  /** Internal: BSS events (bearer), health, readiness, metrics, docs. */
  internalApp: HttpApp;
  runtime: NodeRuntime;
  registry: Registry;
  /** Applies BSS events (internal API and NATS consumer share it). */
  applyEvents(events: SubscriberEvent[]): Promise<SubscriberEventResult[]>;
  /** One pass of the slow path: BSS checks, then the 20-minute sweeper. */
  runSlowPath(): Promise<{ checked: number; swept: number }>;
  /** How single identifications were decided: in groups or alone (identify-requests.ts). */
  identificationStats(): IdentifyStats;
  /** Starts background work (listeners are the caller's: see `listenOperatorNode`). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wires an operator node from its dependencies (nodes.md "Operator node").
 * Nothing here reads files or the environment: the CLI and the sandbox hand
 * in the database, keys, directory and config.
 */
export async function createOperatorNode(deps: OperatorNodeDeps): Promise<OperatorNode> {
  const { db, clock, ids, log, credentials, config } = deps;
  const registry = new Registry();
  const observe = {
    accessLog: config.log.access,
    requestSeconds: registerNodeProcessMetrics(registry),
  };
  const metrics = createOperatorMetrics(registry, { db, clock });
  const client = createPartnerClient({
    signer: credentials.signer,
    resolveKey: credentials.resolveKey,
    clock,
    timeoutMs: config.node.requestTimeoutMs,
    retries: 0, // the outbox retries with its own backoff
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    maxSkewSeconds: config.node.maxClockSkewSeconds,
  });
  const runtime = createNodeRuntime({
    db,
    databaseUrl: config.database.url,
    clock,
    ids,
    log,
    registry,
    outboxConfig: config.outbox,
    deliver: createOperatorOutboxTransport({ client, directory: credentials.directory }),
  });
  const slowPathDeps = {
    db,
    clock,
    ids,
    log,
    checker: deps.checker,
    decideWithinMs: config.operator.slowPath.decideWithinMs,
    onAnswered: (answers: readonly SlowPathAnswer[]) => {
      for (const a of answers) {
        const labels = { messenger: a.messengerId };
        metrics.identifications.inc({ ...labels, result: a.result });
        metrics.answerSeconds.observe(labels, a.answerSeconds);
        if (a.late) metrics.deadlineMisses.inc(labels);
      }
    },
  };
  const identify = createIdentify({
    db,
    clock,
    log,
    deps: {
      ids,
      hashNumber: credentials.hashNumber,
      slowPathEnabled: config.operator.slowPath.enabled,
    },
    maxGroupSize: config.operator.identificationGroups.maxSize,
    maxInFlight: config.operator.identificationGroups.inFlight,
  });
  registerIdentifyMetrics(registry, identify.stats);
  let started = false;
  const runSlowPath = async () => {
    const checked = await checkPendingIdentifications(slowPathDeps);
    const swept = await sweepOverdueIdentifications(slowPathDeps);
    if (checked + swept > 0) runtime.outbox.wake();
    return { checked, swept };
  };
  // The sweeper runs even with the slow path disabled: a request left pending
  // by an earlier configuration must still be answered in time (R10).
  runtime.every('identification slow path', config.operator.slowPath.pollIntervalMs, runSlowPath);

  const appDeps = {
    db,
    clock,
    log,
    credentials,
    observe,
    node: config.node,
  };
  const partnerApp = await createPartnerApp(
    appDeps,
    {
      title: 'idbridge operator — partner API',
      description:
        'Identification endpoints messengers call (protocol.md §2). Every request and response is signed (RFC 9421).',
    },
    (scope) =>
      registerOperatorPartnerRoutes(scope, {
        db,
        clock,
        ids,
        hashNumber: credentials.hashNumber,
        directory: credentials.directory,
        slowPathEnabled: config.operator.slowPath.enabled,
        metrics,
        identify,
        // Look at once rather than at the next poll — only once background work
        // runs; before start() (tests, one-shot tools) the caller drives it.
        onPending: () => {
          if (started) void runSlowPath().catch((err) => log.error({ err }, 'slow path failed'));
        },
      }),
  );

  /**
   * BSS events, from the internal API or NATS: R7 — ending a contract closes
   * its register entries and writes the notices in the event's transaction.
   */
  const applyEvents = async (events: SubscriberEvent[]) => {
    const results = await applySubscriberEvents(db, events, {
      clock,
      ids,
      maxSkewSeconds: config.node.maxClockSkewSeconds,
      log,
    });
    runtime.outbox.wake();
    return results;
  };

  const internalApp = await createOwnApp(
    { ...appDeps, registry, role: 'operator' },
    {
      listener: 'internal',
      title: 'idbridge operator — internal API',
      description:
        'Billing-system events and operations; bearer credential; never exposed to partners.',
    },
    (scope) => registerOperatorInternalRoutes(scope, { metrics, applyEvents }),
  );

  return {
    partnerApp,
    internalApp,
    runtime,
    registry,
    runSlowPath,
    applyEvents,
    identificationStats: () => identify.stats(),
    async start() {
      started = true;
      await runtime.start();
    },
    async stop() {
      await partnerApp.close();
      await internalApp.close();
      await runtime.stop();
    },
  };
}
