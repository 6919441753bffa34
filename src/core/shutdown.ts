import type { Logger } from 'pino';

export type ShutdownStep = () => Promise<void> | void;

/**
 * Runs the registered steps in reverse order of registration on SIGTERM or
 * SIGINT (listeners close before the database they use). A second signal
 * while shutting down exits at once.
 */
export function installGracefulShutdown(
  log: Logger,
  options: { timeoutMs?: number; exit?: (code: number) => void } = {},
): { add(step: ShutdownStep): void; run(signal?: string): Promise<void> } {
  const steps: ShutdownStep[] = [];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;

  const run = (signal = 'shutdown'): Promise<void> => {
    if (running) return running;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      exit(1);
    }, options.timeoutMs ?? 15_000);
    timer.unref();
    running = (async () => {
      let code = 0;
      for (const step of [...steps].reverse()) {
        try {
          await step();
        } catch (err) {
          code = 1;
          log.error({ err }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      log.info('stopped');
      exit(code);
    })();
    return running;
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (running) exit(130);
      void run(signal);
    });
  }
  return { add: (step) => steps.push(step), run };
}
