import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_OPERATORS } from '../../src/routing/known-operators.js';
import { loadRoutingTable } from '../../src/routing/load-routing-table.js';
import { loadNumberingPlanFile } from '../../src/routing/numbering-plan-parser.js';
import { loadPortabilitySnapshot } from '../../src/routing/portability-parser.js';
import { buildRoutingTable, type RoutingTable } from '../../src/routing/routing-table.js';
import { FIXTURES } from './fixture-paths.js';

describe('routing table lookup (I5)', () => {
  let table: RoutingTable;
  beforeAll(async () => {
    const loaded = await loadRoutingTable({
      planFiles: [FIXTURES.plan8Utf8Bom, FIXTURES.plan7Cp1251],
      portedFile: FIXTURES.portAllSmall,
      participants: KNOWN_OPERATORS,
    });
    table = loaded.table;
  });

  it('routes a number that is not ported to its range holder, mapped by INN', () => {
    expect(table.lookup('+79151234567')).toMatchObject({
      found: true,
      msisdn: '+79151234567',
      participantId: 'mts',
      source: 'range',
      range: {
        holderName: 'ПАО "Мобильные ТелеСистемы"',
        inn: '7740000076',
        region: 'г. Москва * Московская область',
      },
    });
  });

  it('routes a ported number to its БДПН owner, not to the range holder (I5)', () => {
    // +7 916 is an MTS range; this number was ported to MegaFon.
    expect(table.lookup('+79161234567')).toMatchObject({
      found: true,
      participantId: 'megafon',
      source: 'ported',
      portOwner: { ownerId: 'mMEGAFON', mnc: '02' },
      range: { inn: '7740000076' },
    });
    expect(table.lookup('+79161234568')).toMatchObject({ participantId: 'mts', source: 'range' });
  });

  it('maps a port owner by OwnerId first and by MNC when the OwnerId is unknown or absent', () => {
    expect(table.lookup('+79031112233')).toMatchObject({
      participantId: 'beeline',
      portOwner: { ownerId: 'mBEELINE' },
    });
    expect(table.lookup('+79265554433')).toMatchObject({
      participantId: 't2',
      portOwner: { ownerId: '', mnc: '20' },
    });
    expect(table.lookup('+79777777777')).toMatchObject({
      participantId: 't2',
      portOwner: { ownerId: 'mVIRTUAL', mnc: '20' },
    });
  });

  it('prefers the OwnerId over a conflicting MNC', () => {
    const { table: t } = buildRoutingTable({
      ranges: [],
      portability: {
        file: 'p',
        numbers: Uint32Array.of(161_234_567),
        ownerIndexes: Uint16Array.of(0),
        owners: [{ ownerId: 'mMTS', mnc: '99' }],
        warnings: [],
        rejectedRows: 0,
        duplicateRows: 0,
      },
      participants: KNOWN_OPERATORS,
    });
    expect(t.lookup('+79161234567')).toMatchObject({
      found: true,
      participantId: 'mts',
      range: undefined,
    });
  });

  it('answers HOLDER_NOT_IN_DIRECTORY with the port owner for a number ported to an unknown operator', () => {
    expect(table.lookup('+79160000001')).toEqual({
      found: false,
      msisdn: '+79160000001',
      reason: 'HOLDER_NOT_IN_DIRECTORY',
      source: 'ported',
      portOwner: { ownerId: 'mUNKNOWN', mnc: '25' },
      range: expect.objectContaining({ inn: '7740000076' }),
    });
  });

  it('answers HOLDER_NOT_IN_DIRECTORY with holder name and INN for a range whose holder no participant has', () => {
    expect(table.lookup('+79990000000')).toMatchObject({
      found: false,
      reason: 'HOLDER_NOT_IN_DIRECTORY',
      source: 'range',
      range: {
        holderName: 'ООО "Скартел"',
        inn: '7701725181',
        firstNumber: '+79990000000',
        lastNumber: '+79990999999',
      },
    });
  });

  it('answers NOT_MOBILE_RANGE for landline ABC numbers and unassigned DEF blocks', () => {
    // +7 495 is in the 8-column fixture as a landline range: routing ignores it.
    expect(table.lookup('+7 495 123-45-67')).toEqual({
      found: false,
      msisdn: '+74951234567',
      reason: 'NOT_MOBILE_RANGE',
    });
    expect(table.lookup('+79980000000')).toMatchObject({
      found: false,
      reason: 'NOT_MOBILE_RANGE',
    });
    expect(table.lookup('+79000062000')).toMatchObject({
      found: false,
      reason: 'NOT_MOBILE_RANGE',
    }); // just past 900 0061999
    expect(table.lookup('+79000061999')).toMatchObject({ found: true, participantId: 't2' });
    expect(table.stats.nonMobileRanges).toBe(1);
  });

  it('answers NOT_RUSSIAN_NUMBER for foreign numbers and Kazakhstan +7 6xx/7xx', () => {
    expect(table.lookup('+44 20 7946 0958')).toEqual({
      found: false,
      msisdn: '+442079460958',
      reason: 'NOT_RUSSIAN_NUMBER',
    });
    expect(table.lookup('+77012345678')).toMatchObject({
      found: false,
      reason: 'NOT_RUSSIAN_NUMBER',
    });
  });

  it('normalizes what people type before routing', () => {
    expect(table.lookup('8 (915) 123-45-67')).toMatchObject({
      msisdn: '+79151234567',
      participantId: 'mts',
    });
  });

  it('throws INVALID_ARGUMENT for input that is not a phone number', () => {
    expect(() => table.lookup('hello')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('finds the first and last number of a range and nothing just outside it', () => {
    // 901 0000000–0999999 (T2); 900 ends at 0061999 and 902 is unassigned.
    expect(table.lookup('+79010000000')).toMatchObject({ found: true, participantId: 't2' });
    expect(table.lookup('+79010999999')).toMatchObject({ found: true, participantId: 't2' });
    expect(table.lookup('+79009999999')).toMatchObject({
      found: false,
      reason: 'NOT_MOBILE_RANGE',
    });
    expect(table.lookup('+79011000000')).toMatchObject({
      found: false,
      reason: 'NOT_MOBILE_RANGE',
    });
    // The lowest mobile number opens the 900 range; the highest lies in no range.
    expect(table.lookup('+79000000000')).toMatchObject({ found: true, participantId: 't2' });
    expect(table.lookup('+79999999999')).toMatchObject({
      found: false,
      reason: 'NOT_MOBILE_RANGE',
    });
  });
});

describe('routing table construction', () => {
  it('matches 6-column holders (no ИНН) to known operators by their legal name', async () => {
    const plan = await loadNumberingPlanFile(FIXTURES.plan6Cp1251Tab);
    const { table } = buildRoutingTable({ ranges: plan.ranges, participants: KNOWN_OPERATORS });
    expect(table.lookup('+79161234567')).toMatchObject({
      participantId: 'mts',
      range: { inn: '7740000076' },
    });
    expect(table.lookup('+79030123456')).toMatchObject({
      participantId: 'beeline',
      range: { inn: '7713076301' },
    });
    expect(table.lookup('+79990000001')).toMatchObject({
      reason: 'HOLDER_NOT_IN_DIRECTORY',
      range: { holderName: 'ООО "Скартел"', inn: undefined },
    });
  });

  it('routes only to participants in the given directory', async () => {
    const plan = await loadNumberingPlanFile(FIXTURES.plan8Utf8Bom);
    const { table } = buildRoutingTable({
      ranges: plan.ranges,
      participants: [{ id: 'yota', inn: '7701725181' }],
    });
    expect(table.lookup('+79990000001')).toMatchObject({ found: true, participantId: 'yota' });
    expect(table.lookup('+79161234567')).toMatchObject({
      reason: 'HOLDER_NOT_IN_DIRECTORY',
      range: { inn: '7740000076' },
    });
  });

  it('reports an overlapping range with its file and line and keeps the first', async () => {
    const plan8 = await loadNumberingPlanFile(FIXTURES.plan8Utf8Bom);
    const plan6 = await loadNumberingPlanFile(FIXTURES.plan6Cp1251Tab);
    const { table, warnings } = buildRoutingTable({
      ranges: [...plan8.ranges, ...plan6.ranges],
      participants: KNOWN_OPERATORS,
    });
    expect(table.stats.overlappingRanges).toBe(4);
    expect(warnings).toContainEqual({
      file: FIXTURES.plan6Cp1251Tab,
      line: 2,
      message: expect.stringMatching(
        /range 916 0000000–9999999 overlaps range 916 0000000–9999999/,
      ),
    });
    expect(table.lookup('+79161234567')).toMatchObject({
      range: { holderName: 'ПАО "Мобильные ТелеСистемы"' },
    });
  });

  it('refuses a directory where two participants claim the same INN', () => {
    expect(() =>
      buildRoutingTable({
        ranges: [],
        participants: [
          { id: 'a', inn: '7740000076' },
          { id: 'b', inn: '7740000076' },
        ],
      }),
    ).toThrow(/INN 7740000076 is claimed by both a and b/);
  });

  it('refuses to load files that yield no mobile range', async () => {
    await expect(
      loadRoutingTable({ planFiles: [FIXTURES.plan7Cp1251], participants: [] }).then(
        (l) => l.table.stats.ranges,
      ),
    ).resolves.toBe(3);
    const snapOnly = await loadPortabilitySnapshot(FIXTURES.portAllSmall);
    expect(snapOnly.numbers.length).toBe(5);
    await expect(loadRoutingTable({ planFiles: [], participants: [] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('ported-number search', () => {
  it('finds exactly the ported numbers among many, across bucket edges', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 999_999_999 }), { maxLength: 400 }),
        fc.array(fc.integer({ min: 0, max: 999_999_999 }), { maxLength: 50 }),
        (values, probes) => {
          // Cluster some values at bucket edges (multiples of 2^14) and at the ends.
          const edges = values
            .slice(0, 20)
            .map((v) => Math.min(999_999_999, Math.floor(v / 16384) * 16384));
          const all = [...new Set([...values, ...edges, 0, 999_999_999])].sort((a, b) => a - b);
          const { table } = buildRoutingTable({
            ranges: [],
            portability: {
              file: 'p',
              numbers: Uint32Array.from(all),
              ownerIndexes: new Uint16Array(all.length),
              owners: [{ ownerId: 'mMTS', mnc: '01' }],
              warnings: [],
              rejectedRows: 0,
              duplicateRows: 0,
            },
            participants: KNOWN_OPERATORS,
          });
          const present = new Set(all);
          const msisdn = (v: number) => `+79${String(v).padStart(9, '0')}`;
          for (const v of all)
            expect(table.lookup(msisdn(v))).toMatchObject({ found: true, source: 'ported' });
          for (const v of [...probes, ...all.map((v) => v + 1), ...all.map((v) => v - 1)]) {
            if (v < 0 || v > 999_999_999) continue;
            expect(table.lookup(msisdn(v)).found).toBe(present.has(v));
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
