import { describe, expect, it } from 'vitest';
import { IdbridgeError } from '../../src/core/errors.js';
import { KNOWN_OPERATORS } from '../../src/routing/known-operators.js';
import { loadRoutingTable } from '../../src/routing/load-routing-table.js';
import type { PlanRange } from '../../src/routing/numbering-plan-parser.js';
import { createRoutingService } from '../../src/routing/routing-service.js';
import { buildRoutingTable, type RoutingTable } from '../../src/routing/routing-table.js';
import { FIXTURES } from './fixture-paths.js';

const range916 = (inn: string): PlanRange => ({
  code: 916,
  from: 0,
  to: 9_999_999,
  holderName: 'h',
  region: 'r',
  inn,
  file: 'f',
  line: 2,
});
const tableFor = (inn: string): RoutingTable =>
  buildRoutingTable({ ranges: [range916(inn)], participants: KNOWN_OPERATORS }).table;

describe('routing service', () => {
  it('swaps in a newly loaded table on reload', async () => {
    const tables = [tableFor('7740000076'), tableFor('7812014560')];
    let i = 0;
    const service = await createRoutingService({ load: async () => tables[i++]! });
    expect(service.lookup('+79161234567')).toMatchObject({ participantId: 'mts' });
    await expect(service.reload()).resolves.toBe(tables[1]);
    expect(service.lookup('+79161234567')).toMatchObject({ participantId: 'megafon' });
  });

  it('keeps the old table when a reload fails, and can reload again later', async () => {
    const outcomes: (() => RoutingTable)[] = [
      () => tableFor('7740000076'),
      () => {
        throw new IdbridgeError('INVALID_ARGUMENT', 'broken file');
      },
      () => tableFor('7743895280'),
    ];
    let i = 0;
    const service = await createRoutingService({ load: async () => outcomes[i++]!() });
    const before = service.current();
    await expect(service.reload()).rejects.toThrow('broken file');
    expect(service.current()).toBe(before);
    expect(service.lookup('+79161234567')).toMatchObject({ participantId: 'mts' });
    await service.reload();
    expect(service.lookup('+79161234567')).toMatchObject({ participantId: 't2' });
  });

  it('keeps the old table when the new files on disk are broken', async () => {
    let planFiles: string[] = [FIXTURES.plan8Utf8Bom];
    const service = await createRoutingService({
      load: () =>
        loadRoutingTable({ planFiles, participants: KNOWN_OPERATORS }).then((l) => l.table),
    });
    planFiles = [FIXTURES.portAllSmall]; // not a register: the header is refused
    await expect(service.reload()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(service.lookup('+79161234567')).toMatchObject({ participantId: 'mts' });
  });

  it('shares one load between concurrent reload calls', async () => {
    let loads = 0;
    let release: (() => void) | undefined;
    const service = await createRoutingService({
      load: async () => {
        loads++;
        if (loads === 2) await new Promise<void>((r) => (release = r));
        return tableFor('7740000076');
      },
    });
    const a = service.reload();
    const b = service.reload();
    expect(a).toBe(b);
    await Promise.resolve();
    release?.();
    await Promise.all([a, b]);
    expect(loads).toBe(2);
    await service.reload();
    expect(loads).toBe(3);
  });

  it('rejects creation when the first load fails', async () => {
    await expect(
      createRoutingService({ load: async () => Promise.reject(new Error('no files')) }),
    ).rejects.toThrow('no files');
  });
});
