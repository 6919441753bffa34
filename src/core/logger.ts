import { type DestinationStream, type Logger, pino } from 'pino';
import { maskDeep, maskPhoneNumbers } from './mask-phone-numbers.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  name?: string;
  destination?: DestinationStream;
}

/**
 * A pino logger whose every record passes through the phone-number mask
 * (R11): message strings through `hooks.logMethod`, merged objects through
 * `formatters.log`. Redaction happens before serialization, so no transport
 * or destination ever sees a number in clear.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name === undefined ? {} : { name: options.name }),
      formatters: {
        log: (record) => maskDeep(record) as Record<string, unknown>,
      },
      serializers: {
        err: (err: unknown) => maskDeep(err),
      },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPhoneNumbers(a) : a));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}

/** A logger that writes nothing; for tests and benchmarks. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
