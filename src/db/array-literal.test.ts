import pg from 'pg';
import { expect, it } from 'vitest';
import { scalarArrayLiteral } from './array-literal.js';

const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils
  .prepareValue;

it('formats flat scalar arrays exactly as node-postgres does', () => {
  const cases: unknown[][] = [
    [],
    ['a', 'b'],
    ['', 'NULL', null, undefined, ' spaced ', 'a,b', '{x}', 'quo"te', 'back\\slash', '\\"'],
    [1, 2.5, -3, 12345678901234567890n, true, false],
    ['0190e6c8-0000-7000-8000-000000000001', null],
    ['ünïcödé', 'тест', '😀'],
  ];
  for (const values of cases) {
    expect(scalarArrayLiteral(values)).toBe(prepareValue(values));
  }
});

it('leaves arrays holding anything else to node-postgres', () => {
  expect(scalarArrayLiteral([new Date(0)])).toBeUndefined();
  expect(scalarArrayLiteral([['nested']])).toBeUndefined();
  expect(scalarArrayLiteral([Buffer.from('x')])).toBeUndefined();
  expect(scalarArrayLiteral([{ a: 1 }])).toBeUndefined();
});
