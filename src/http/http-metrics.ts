import { collectDefaultMetrics, Histogram, type Registry } from 'prom-client';

export type RequestSeconds = Histogram<'listener' | 'method' | 'route' | 'status'>;

/**
 * What every node's registry carries besides its own facts:
 * prom-client's process metrics (CPU, memory, event-loop lag, handles) and the
 * duration of each HTTP request by listener, route template and status.
 */
export function registerNodeProcessMetrics(registry: Registry): RequestSeconds {
  collectDefaultMetrics({ register: registry, prefix: 'idbridge_' });
  return new Histogram({
    name: 'idbridge_http_request_duration_seconds',
    help: 'HTTP requests served, by listener, method, route template and status',
    labelNames: ['listener', 'method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
}
