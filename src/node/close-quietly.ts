import type { Logger } from '../core/logger.js';

/**
 * One clean-up step after a failed start: its own failure is logged, never
 * thrown, so it cannot hide the error that stopped the start.
 */
export async function closeQuietly(
  log: Logger,
  step: () => Promise<void> | undefined,
): Promise<void> {
  try {
    await step();
  } catch (err) {
    log.debug({ err }, 'clean-up after a failed start failed');
  }
}
