import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from '../core/logger.js';
import { CORRELATOR_PATTERN, MAX_BODY_BYTES } from '../protocol/schemas/common-schemas.js';
import { addAjvDateFormats } from '../protocol/schemas/date-formats.js';
import type { RequestSeconds } from './http-metrics.js';
import { nameInvalidItem } from './name-invalid-item.js';
import { toHttpError } from './to-http-error.js';

/** A Fastify app whose routes take their request types from their TypeBox schemas. */
export type HttpApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** How long close() waits for in-flight responses before cutting their connections. */
export const DEFAULT_DRAIN_MS = 5_000;

/**
 * A Fastify instance with the project's wire conventions (protocol.md §1):
 * bounded bodies, schemas that reject unknown properties and never coerce
 * types, every error as a CAMARA body, and `x-correlator` validated and echoed.
 * `close()` waits at most `drainMs` for responses in flight.
 */
export function createHttpApp(
  options: {
    bodyLimit?: number;
    log?: Logger;
    drainMs?: number;
    /** Send an error's specific cause (`CODE_EXPIRED`) as its `code`. */
    causeCodes?: boolean;
    /** The listener's name in access lines and metrics (`partner`, `internal`, `app`). */
    listener?: string;
    /** One info line per request (`log.access`, default on). */
    accessLog?: boolean;
    requestSeconds?: RequestSeconds;
  } = {},
): HttpApp {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? MAX_BODY_BYTES,
    ajv: {
      customOptions: {
        // Unknown properties are an error, not something to strip (protocol.md §1).
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: true,
        allErrors: false,
      },
      // One calendar rule for every date on the wire (R9, I1).
      onCreate: addAjvDateFormats,
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Bodies are JSON only (protocol.md §1): without Fastify's default text/plain
  // parser a text body is refused as 415, not parsed and then 400 "must be object".
  app.removeContentTypeParser('text/plain');

  // A client that stops reading a response keeps its connection busy, and
  // Fastify's close() would wait for it forever: a node that never stops.
  let drainTimer: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    drainTimer = setTimeout(() => {
      options.log?.warn('responses still in flight at close; cutting their connections');
      app.server.closeAllConnections();
    }, options.drainMs ?? DEFAULT_DRAIN_MS);
    drainTimer.unref();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearTimeout(drainTimer);
    done();
  });

  app.addHook('onRequest', async (request, reply) => {
    const correlator = request.headers['x-correlator'];
    if (correlator === undefined) return;
    if (typeof correlator !== 'string' || !CORRELATOR_PATTERN.test(correlator)) {
      // Echoing an invalid value back would reflect attacker-chosen bytes.
      reply.code(400).send({
        status: 400,
        code: 'INVALID_ARGUMENT',
        message: 'x-correlator header does not match ^[a-zA-Z0-9-_:;./<>{}]{0,256}$',
      });
      return reply;
    }
    reply.header('x-correlator', correlator);
  });

  // Access log and request metrics: the route template,
  // never the raw URL, so no number or code in a path reaches a log or label.
  const listener = options.listener ?? 'http';
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    options.requestSeconds?.observe(
      { listener, method: request.method, route, status: String(reply.statusCode) },
      seconds,
    );
    // Nothing built for a line no one will write (the hot path at warn level).
    if (options.accessLog === false || !options.log?.isLevelEnabled('info')) return;
    if (route === '/metrics') return;
    const partner = (request as { partner?: { participantId: string } }).partner?.participantId;
    const correlator = request.headers['x-correlator'];
    options.log.info(
      {
        listener,
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(partner ? { partner } : {}),
        ...(typeof correlator === 'string' && CORRELATOR_PATTERN.test(correlator)
          ? { correlator }
          : {}),
      },
      'request',
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const { body, retryAfterSeconds } = toHttpError(error, { causeCodes: options.causeCodes });
    if (body.status === 400) body.message = nameInvalidItem(error, request.body, body.message);
    // The client sees a bare 500; the operator of the node sees why.
    if (body.status >= 500)
      options.log?.error(
        { err: error, method: request.method, url: request.url },
        'request failed',
      );
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
    reply.code(body.status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      status: 404,
      code: 'NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });

  return app;
}
