import { describe, expect, it } from 'vitest';
import { isValidInn } from '../../src/routing/is-valid-inn.js';
import {
  KNOWN_OPERATORS,
  knownInnsByRegisterName,
  normalizeHolderName,
} from '../../src/routing/known-operators.js';

describe('known operators', () => {
  it('lists the four national operators with valid INNs, OwnerIds and MNCs', () => {
    expect(KNOWN_OPERATORS.map((o) => [o.id, o.inn, o.portOwnerIds, o.mncs])).toEqual([
      ['beeline', '7713076301', ['mBEELINE'], ['99']],
      ['mts', '7740000076', ['mMTS'], ['01']],
      ['megafon', '7812014560', ['mMEGAFON'], ['02']],
      ['t2', '7743895280', ['mT2MOBILE'], ['20']],
    ]);
    for (const o of KNOWN_OPERATORS) expect(isValidInn(o.inn)).toBe(true);
  });

  it('matches register legal names across editions regardless of legal form, quotes and hyphens', () => {
    const byName = knownInnsByRegisterName();
    expect(byName.get(normalizeHolderName('ОАО "Вымпел-Коммуникации"'))).toBe('7713076301');
    expect(byName.get(normalizeHolderName('ПАО «МегаФон»'))).toBe('7812014560');
    expect(byName.get(normalizeHolderName('АО "Мобильные ТелеСистемы"'))).toBe('7740000076');
    expect(byName.get(normalizeHolderName('ООО "Скартел"'))).toBeUndefined();
  });
});

describe('isValidInn', () => {
  it('checks 10- and 12-digit check digits', () => {
    expect(isValidInn('7701725181')).toBe(true);
    expect(isValidInn('7701725182')).toBe(false);
    expect(isValidInn('500100732259')).toBe(true);
    expect(isValidInn('500100732258')).toBe(false);
    expect(isValidInn('12345')).toBe(false);
    expect(isValidInn('77017251811')).toBe(false);
    expect(isValidInn('77O1725181')).toBe(false);
  });
});
