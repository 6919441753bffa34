import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { LoadWarning } from '../../src/routing/load-warning.js';
import {
  loadNumberingPlanFile,
  parseNumberingPlan,
} from '../../src/routing/numbering-plan-parser.js';
import { FIXTURES } from './fixture-paths.js';

const HEADER8 = 'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const lines = (w: LoadWarning[]): number[] => w.map((x) => x.line);

describe('numbering-plan parser: layout eras', () => {
  it('reads the 8-column UTF-8-with-BOM era, skipping the bad INN row by line', async () => {
    const plan = await loadNumberingPlanFile(FIXTURES.plan8Utf8Bom);
    expect(plan.columns).toBe(8);
    expect(plan.encoding).toBe('utf-8-bom');
    expect(plan.ranges.map((r) => r.code)).toEqual([900, 903, 916, 926, 999, 495]);
    expect(plan.ranges[1]).toMatchObject({
      code: 903,
      from: 0,
      to: 999_999,
      holderName: 'ПАО "ВымпелКом"',
      region: 'г. Москва * Московская область',
      territory: 'г. Москва',
      inn: '7713076301',
      line: 3,
    });
    expect(plan.warnings).toEqual([
      { file: FIXTURES.plan8Utf8Bom, line: 7, message: expect.stringContaining('ИНН "12345"') },
    ]);
    expect(plan.rejectedRows).toBe(1);
  });

  it('reads the 7-column Windows-1251 era and reports each bad row with file and line', async () => {
    const plan = await loadNumberingPlanFile(FIXTURES.plan7Cp1251);
    expect(plan.columns).toBe(7);
    expect(plan.encoding).toBe('windows-1251');
    expect(plan.ranges.map((r) => [r.code, r.holderName, r.inn])).toEqual([
      [915, 'ПАО "Мобильные ТелеСистемы"', '7740000076'],
      [925, 'ПАО "МегаФон"', '7812014560'],
      [901, 'ООО "Т2 Мобайл"', '7743895280'],
    ]);
    expect(lines(plan.warnings)).toEqual([4, 5, 6, 7]);
    expect(plan.warnings.every((w) => w.file === FIXTURES.plan7Cp1251)).toBe(true);
    expect(plan.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/ИНН "7812014561" is not a valid/),
      expect.stringMatching(/Емкость 1000000 is not До − От \+ 1 = 10000000/),
      expect.stringMatching(/expected 7 columns, found 6/),
      expect.stringMatching(/От "00A0000"/),
    ]);
  });

  it('reads the 6-column Windows-1251 era with a tab-semicolon-tab delimiter', async () => {
    const plan = await loadNumberingPlanFile(FIXTURES.plan6Cp1251Tab);
    expect(plan.columns).toBe(6);
    expect(plan.encoding).toBe('windows-1251');
    expect(plan.ranges.map((r) => [r.code, r.holderName, r.inn])).toEqual([
      [916, 'ОАО "Мобильные ТелеСистемы"', undefined],
      [926, 'ОАО "МегаФон"', undefined],
      [999, 'ООО "Скартел"', undefined],
      [903, 'ОАО "Вымпел-Коммуникации"', undefined],
    ]);
    expect(plan.warnings).toEqual([
      {
        file: FIXTURES.plan6Cp1251Tab,
        line: 6,
        message: expect.stringContaining('От 5000000 is greater than До 4999999'),
      },
    ]);
  });

  it('reads UTF-8 without a BOM as UTF-8 and cp1251 bytes made in the test as cp1251', () => {
    const text = `${HEADER8}\n916;0000000;9999999;10000000;ПАО "Мобильные ТелеСистемы";г. Москва;г. Москва;7740000076\n`;
    const plain = parseNumberingPlan(utf8(text), 'plain.csv');
    const cp1251 = parseNumberingPlan(iconv.encode(text, 'win1251'), 'old.csv');
    expect(plain.encoding).toBe('utf-8');
    expect(cp1251.encoding).toBe('windows-1251');
    expect(cp1251.ranges[0]?.holderName).toBe('ПАО "Мобильные ТелеСистемы"');
    expect(plain.ranges).toEqual(cp1251.ranges.map((r) => ({ ...r, file: 'plain.csv' })));
  });

  it('accepts От/До whose zero padding a spreadsheet dropped, and whole-cell CSV quoting', () => {
    const text = `${HEADER8}\n900;0;61999;62000;"ООО ""Т2 Мобайл""";Краснодарский край;Краснодарский край;7743895280\n`;
    const plan = parseNumberingPlan(utf8(text), 'f.csv');
    expect(plan.ranges[0]).toMatchObject({ from: 0, to: 61_999, holderName: 'ООО "Т2 Мобайл"' });
    expect(plan.warnings).toEqual([]);
  });

  it('reads a ; inside a quoted operator name as part of the name (issue 29 item 5)', () => {
    const text = `${HEADER8}\r\n900;0;9;10;"ООО ""Рога; Копыта""";Москва;г. Москва;7743895280\r\n901;0;9;10;ООО "Т2 Мобайл";р;т;7743895280\r\n`;
    const plan = parseNumberingPlan(utf8(text), 'f.csv');
    expect(plan.ranges.map((r) => [r.holderName, r.region, r.line])).toEqual([
      ['ООО "Рога; Копыта"', 'Москва', 2],
      ['ООО "Т2 Мобайл"', 'р', 3],
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('refuses a file with a quote never closed, naming the line, instead of swallowing the rows after it', () => {
    const text = `${HEADER8}\n900;0;9;10;ООО Т2;р;т;7743895280\n901;0;9;10;"ООО Т2;р;т;7743895280\n902;0;9;10;ООО Т2;р;т;7743895280\n`;
    expect(() => parseNumberingPlan(utf8(text), 'f.csv')).toThrow(
      /f\.csv:3: a quoted field is never closed/,
    );
  });

  it('keeps a row whose ИНН cell is empty, with a remark, so its holder can still be matched by name', () => {
    const text = `${HEADER8}\n903;0000000;0999999;1000000;ПАО "ВымпелКом";г. Москва;г. Москва;\n`;
    const plan = parseNumberingPlan(utf8(text), 'f.csv');
    expect(plan.ranges).toHaveLength(1);
    expect(plan.ranges[0]?.inn).toBeUndefined();
    expect(plan.rejectedRows).toBe(0);
    expect(plan.warnings).toEqual([
      { file: 'f.csv', line: 2, message: expect.stringContaining('no ИНН') },
    ]);
  });

  it('never throws on bad rows: garbage lines are each reported and skipped', () => {
    const bad = [
      'garbage',
      ';;;;;;;',
      '9x6;0;1;2;a;b;c;7740000076',
      '916;1;0;0;a;b;c;7740000076',
      '\u0000\u0001;',
    ];
    const text = `${HEADER8}\n${bad.join('\n')}\n926;0000000;0000009;10;ПАО "МегаФон";р;т;7812014560`;
    const onWarning: LoadWarning[] = [];
    const plan = parseNumberingPlan(utf8(text), 'f.csv', { onWarning: (w) => onWarning.push(w) });
    expect(plan.ranges.map((r) => r.code)).toEqual([926]);
    expect(lines(plan.warnings)).toEqual([2, 3, 4, 5, 6]);
    expect(onWarning).toEqual(plan.warnings);
  });

  it('caps the warnings it keeps but counts every rejected row', () => {
    const text = `${HEADER8}\n${'bad\n'.repeat(50)}`;
    const plan = parseNumberingPlan(utf8(text), 'f.csv', { maxWarnings: 10 });
    expect(plan.warnings).toHaveLength(10);
    expect(plan.rejectedRows).toBe(50);
  });

  it('refuses a file whose header is no register layout, naming the file', () => {
    expect(() => parseNumberingPlan(utf8('a;b;c\n1;2;3\n'), 'x.csv')).toThrow(
      /x\.csv:1: not a numbering-plan register header/,
    );
    expect(() => parseNumberingPlan(utf8(''), 'empty.csv')).toThrow(/empty\.csv/);
  });

  it('reports a missing file as INVALID_ARGUMENT with its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idbridge-plan-'));
    await expect(loadNumberingPlanFile(join(dir, 'absent.csv'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('absent.csv'),
    });
    writeFileSync(join(dir, 'ok.csv'), `\uFEFF${HEADER8}\n`);
    expect((await loadNumberingPlanFile(join(dir, 'ok.csv'))).ranges).toEqual([]);
  });
});
