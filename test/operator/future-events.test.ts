import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';

/**
 * R7 with input that cannot be true: a BSS event dated beyond the clock-skew
 * window (node.maxClockSkewSeconds, 300 s in tests) ahead of the operator's
 * clock is refused per event, over the internal HTTP API, and changes
 * nothing — neither the contract nor the number's order mark.
 */
describe('BSS events dated in the future', () => {
  let n: IdentificationNetwork;
  const phone = '+79160000077';
  const at = (offsetSeconds: number) =>
    new Date(n.clock.now().getTime() + offsetSeconds * 1000).toISOString();
  const contractEnd = async () =>
    (
      await n.operators.mts!.db.query<{ contract_end: Date | null }>(
        'SELECT contract_end FROM subscriber_contracts WHERE contract_id = $1',
        ['FUT-1'],
      )
    ).rows[0]?.contract_end;

  beforeAll(async () => {
    n = await startIdentificationNetwork('pglite');
    const [started] = await n.operators.mts!.events([
      {
        type: 'contract_started',
        msisdn: phone,
        contractId: 'FUT-1',
        subscriberType: 'individual',
        hasSubscriberData: true,
      },
    ]);
    expect(started?.status).toBe('applied');
  });
  afterAll(() => n.close());

  it('refuses a termination an hour ahead, names why, and leaves the contract open', async () => {
    const [ahead, withinSkew] = await n.operators.mts!.events([
      { type: 'contract_terminated', msisdn: phone, contractId: 'FUT-1', occurredAt: at(3600) },
      {
        type: 'contract_terminated',
        msisdn: '+79160000078',
        contractId: 'none',
        occurredAt: at(60),
      },
    ]);
    expect(ahead).toMatchObject({ status: 'refused', code: 'IN_FUTURE' });
    expect((ahead as { message?: string }).message).toMatch(/ahead of this node's clock/);
    // Within the window the event is judged on its merits (here: no such contract).
    expect(withinSkew).toMatchObject({ status: 'refused', code: 'UNKNOWN_CONTRACT' });
    expect(await contractEnd()).toBeNull();
  });

  it('does not move the order mark: the real termination, at the right time, applies', async () => {
    const [real] = await n.operators.mts!.events([
      { type: 'contract_terminated', msisdn: phone, contractId: 'FUT-1', occurredAt: at(0) },
    ]);
    expect(real).toMatchObject({ status: 'applied' });
    expect(await contractEnd()).not.toBeNull();
  });
});
