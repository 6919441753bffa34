import type { Clock } from '../core/clock.js';

/**
 * Per-partner circuit breaking, so one dead messenger does not slow the
 * others (§5). After `failureThreshold` consecutive failed batches a
 * partner's circuit opens: the worker claims nothing of it for `coolDownMs`.
 * Then it is half-open: one trial batch may go; success closes the circuit,
 * failure opens it for another cool-down.
 *
 * The state is in-process, per worker: with several processes each learns
 * about a dead partner on its own (at most `failureThreshold` batches each),
 * which costs little and needs no shared state. Not safe to share between
 * threads; JavaScript's single thread makes it safe across async slots.
 */
export interface CircuitBreaker {
  /** Partners the worker must not claim for now (open, or half-open with a trial out). */
  blockedPartners(): string[];
  /** Call before delivering; false when the batch must not go (trial already out). */
  tryAcquire(partnerId: string): boolean;
  recordSuccess(partnerId: string): void;
  recordFailure(partnerId: string): void;
  /** Ends a delivery that was acquired but neither succeeded nor failed. */
  release(partnerId: string): void;
  state(partnerId: string): CircuitState;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  clock: Clock;
  failureThreshold?: number;
  coolDownMs?: number;
  /** Told whenever a partner's circuit opens or closes (metrics, logs). */
  onChange?: (partnerId: string, state: CircuitState) => void;
}

interface PartnerCircuit {
  consecutiveFailures: number;
  openUntil: number | null;
  trialOut: boolean;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const threshold = options.failureThreshold ?? 5;
  const coolDownMs = options.coolDownMs ?? 60_000;
  const circuits = new Map<string, PartnerCircuit>();

  const stateOf = (c: PartnerCircuit | undefined): CircuitState => {
    if (!c || c.openUntil === null) return 'closed';
    return options.clock.now().getTime() < c.openUntil ? 'open' : 'half-open';
  };
  const circuit = (partnerId: string): PartnerCircuit => {
    let c = circuits.get(partnerId);
    if (!c) {
      c = { consecutiveFailures: 0, openUntil: null, trialOut: false };
      circuits.set(partnerId, c);
    }
    return c;
  };

  return {
    blockedPartners() {
      const blocked: string[] = [];
      for (const [partnerId, c] of circuits) {
        const s = stateOf(c);
        if (s === 'open' || (s === 'half-open' && c.trialOut)) blocked.push(partnerId);
      }
      return blocked;
    },
    tryAcquire(partnerId) {
      const c = circuits.get(partnerId);
      const s = stateOf(c);
      if (s === 'closed') return true;
      if (s === 'open' || !c || c.trialOut) return false;
      c.trialOut = true;
      return true;
    },
    recordSuccess(partnerId) {
      const c = circuits.get(partnerId);
      if (!c) return;
      const wasOpen = c.openUntil !== null;
      circuits.delete(partnerId);
      if (wasOpen) options.onChange?.(partnerId, 'closed');
    },
    recordFailure(partnerId) {
      const c = circuit(partnerId);
      const halfOpenTrial = stateOf(c) === 'half-open' && c.trialOut;
      c.trialOut = false;
      c.consecutiveFailures++;
      if (halfOpenTrial || (c.openUntil === null && c.consecutiveFailures >= threshold)) {
        c.openUntil = options.clock.now().getTime() + coolDownMs;
        options.onChange?.(partnerId, 'open');
      }
    },
    release(partnerId) {
      const c = circuits.get(partnerId);
      if (c) c.trialOut = false;
    },
    state: (partnerId) => stateOf(circuits.get(partnerId)),
  };
}
