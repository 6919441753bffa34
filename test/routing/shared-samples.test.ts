import { describe, expect, it } from 'vitest';
import { KNOWN_OPERATORS } from '../../src/routing/known-operators.js';
import { loadRoutingTable } from '../../src/routing/load-routing-table.js';
import { FIXTURES } from './fixture-paths.js';

describe('the shared reference samples', () => {
  it('load cleanly and route as the README describes', async () => {
    const loaded = await loadRoutingTable({
      planFiles: [FIXTURES.sharedPlan],
      portedFile: FIXTURES.sharedPortAll,
      participants: KNOWN_OPERATORS,
    });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.plans).toEqual([
      { file: FIXTURES.sharedPlan, columns: 8, encoding: 'utf-8', rejectedRows: 0 },
    ]);
    expect(loaded.table.stats).toMatchObject({ ranges: 9, portedNumbers: 3, overlappingRanges: 0 });
    const { lookup } = loaded.table;
    expect(lookup('+79161234567')).toMatchObject({ participantId: 'megafon', source: 'ported' });
    expect(lookup('+79031112233')).toMatchObject({ participantId: 'mts', source: 'ported' });
    expect(lookup('+79265554433')).toMatchObject({ participantId: 't2', source: 'ported' });
    expect(lookup('+79055000000')).toMatchObject({ participantId: 'beeline', source: 'range' });
    expect(lookup('+79250000000')).toMatchObject({ participantId: 'megafon', source: 'range' });
    expect(lookup('+79771234567')).toMatchObject({ participantId: 't2', source: 'range' });
    expect(lookup('+79991234567')).toMatchObject({ found: false, reason: 'NOT_MOBILE_RANGE' });
    expect(lookup('+79990001234')).toMatchObject({
      found: false,
      reason: 'HOLDER_NOT_IN_DIRECTORY',
      range: { holderName: 'ООО "Скартел"', inn: '7701725181' },
    });
  });
});
