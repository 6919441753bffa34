import type { Logger } from '../core/logger.js';
import type { RouteAnswer } from './route-answer.js';
import type { RoutingTable } from './routing-table.js';

/**
 * Holds the current routing table and replaces it without a restart
 * (nodes.md: "reloadable without restart").
 *
 * Concurrency: `lookup` always runs against one whole table, old or new,
 * never a mix; the swap is a single reference assignment after the new table
 * is fully built. Concurrent `reload()` calls share one load. A failed reload
 * leaves the current table in place and rejects with the load's error.
 */
export interface RoutingService {
  lookup(msisdn: string): RouteAnswer;
  current(): RoutingTable;
  reload(): Promise<RoutingTable>;
}

export interface RoutingServiceDeps {
  /** Loads a fresh table, e.g. `() => loadRoutingTable(sources).then((l) => l.table)`. */
  load: () => Promise<RoutingTable>;
  log?: Logger;
}

/** Loads the first table (rejecting if that fails) and returns the service. */
export async function createRoutingService(deps: RoutingServiceDeps): Promise<RoutingService> {
  let table = await deps.load();
  deps.log?.info({ stats: table.stats }, 'routing table loaded');
  let pending: Promise<RoutingTable> | undefined;

  const loadAndSwap = async (): Promise<RoutingTable> => {
    try {
      const next = await deps.load();
      table = next;
      deps.log?.info({ stats: next.stats }, 'routing table reloaded');
      return next;
    } catch (err) {
      deps.log?.error({ err }, 'routing table reload failed; keeping the previous table');
      throw err;
    }
  };

  const reload = (): Promise<RoutingTable> => {
    if (pending !== undefined) return pending;
    const attempt = loadAndSwap();
    pending = attempt;
    const clear = (): void => {
      if (pending === attempt) pending = undefined;
    };
    attempt.then(clear, clear);
    return attempt;
  };

  return {
    lookup: (msisdn) => table.lookup(msisdn),
    current: () => table,
    reload,
  };
}
