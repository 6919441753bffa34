import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { type CircuitState, createCircuitBreaker } from './circuit-breaker.js';

describe('circuit breaker', () => {
  const setup = () => {
    const clock = createManualClock();
    const changes: Array<[string, CircuitState]> = [];
    const breaker = createCircuitBreaker({
      clock,
      failureThreshold: 3,
      coolDownMs: 30_000,
      onChange: (p, s) => changes.push([p, s]),
    });
    return { clock, breaker, changes };
  };

  it('opens a partner after consecutive failures and leaves other partners alone', () => {
    const { breaker, changes } = setup();
    breaker.recordFailure('dead');
    breaker.recordFailure('dead');
    expect(breaker.blockedPartners()).toEqual([]);
    breaker.recordFailure('dead');
    expect(breaker.state('dead')).toBe('open');
    expect(breaker.blockedPartners()).toEqual(['dead']);
    expect(breaker.tryAcquire('dead')).toBe(false);
    expect(breaker.tryAcquire('alive')).toBe(true);
    expect(changes).toEqual([['dead', 'open']]);
  });

  it('a success in between resets the failure count', () => {
    const { breaker } = setup();
    breaker.recordFailure('p');
    breaker.recordFailure('p');
    breaker.recordSuccess('p');
    breaker.recordFailure('p');
    breaker.recordFailure('p');
    expect(breaker.state('p')).toBe('closed');
  });

  it('lets one trial through after the cool-down; its success closes the circuit', () => {
    const { breaker, clock, changes } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure('p');
    clock.advance(30_000);
    expect(breaker.state('p')).toBe('half-open');
    expect(breaker.blockedPartners()).toEqual([]);
    expect(breaker.tryAcquire('p')).toBe(true);
    expect(breaker.tryAcquire('p')).toBe(false); // one trial at a time
    expect(breaker.blockedPartners()).toEqual(['p']);
    breaker.recordSuccess('p');
    expect(breaker.state('p')).toBe('closed');
    expect(changes.at(-1)).toEqual(['p', 'closed']);
  });

  it('a failed trial opens the circuit for another cool-down', () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure('p');
    clock.advance(30_000);
    expect(breaker.tryAcquire('p')).toBe(true);
    breaker.recordFailure('p');
    expect(breaker.state('p')).toBe('open');
    clock.advance(29_999);
    expect(breaker.state('p')).toBe('open');
    clock.advance(1);
    expect(breaker.state('p')).toBe('half-open');
  });

  it('a trial released without an outcome frees the partner for the next trial', () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure('p');
    clock.advance(30_000);
    expect(breaker.tryAcquire('p')).toBe(true);
    breaker.release('p');
    expect(breaker.tryAcquire('p')).toBe(true);
  });
});
