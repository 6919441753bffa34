import type { RoutingParticipant } from './routing-participant.js';

/**
 * The four national mobile operators with their public identifiers: the INN
 * the numbering plan names them by, their БДПН OwnerIds and MNCs (250-xx).
 * This is the CLI's default directory and the sandbox's operator set; a real
 * deployment configures its own directory.
 */
export interface KnownOperator extends RoutingParticipant {
  inn: string;
  portOwnerIds: readonly string[];
  mncs: readonly string[];
  /** Brand name for people. */
  name: string;
  /**
   * Legal names as the register writes them, old and current. Files of the
   * 6-column era carry no ИНН, so a range holder is then matched by name.
   */
  registerNames: readonly string[];
}

export const KNOWN_OPERATORS: readonly KnownOperator[] = Object.freeze([
  Object.freeze({
    id: 'beeline',
    name: 'Beeline',
    inn: '7713076301',
    portOwnerIds: Object.freeze(['mBEELINE']),
    mncs: Object.freeze(['99']),
    registerNames: Object.freeze(['ПАО "ВымпелКом"', 'ОАО "Вымпел-Коммуникации"']),
  }),
  Object.freeze({
    id: 'mts',
    name: 'MTS',
    inn: '7740000076',
    portOwnerIds: Object.freeze(['mMTS']),
    mncs: Object.freeze(['01']),
    registerNames: Object.freeze(['ПАО "Мобильные ТелеСистемы"', 'ОАО "Мобильные ТелеСистемы"']),
  }),
  Object.freeze({
    id: 'megafon',
    name: 'MegaFon',
    inn: '7812014560',
    portOwnerIds: Object.freeze(['mMEGAFON']),
    mncs: Object.freeze(['02']),
    registerNames: Object.freeze(['ПАО "МегаФон"', 'ОАО "МегаФон"']),
  }),
  Object.freeze({
    id: 't2',
    name: 'T2',
    inn: '7743895280',
    portOwnerIds: Object.freeze(['mT2MOBILE']),
    mncs: Object.freeze(['20']),
    registerNames: Object.freeze(['ООО "Т2 Мобайл"']),
  }),
]);

/** Register legal name → INN, for holders named without an INN. */
export function knownInnsByRegisterName(): Map<string, string> {
  const map = new Map<string, string>();
  for (const op of KNOWN_OPERATORS) {
    for (const name of op.registerNames) map.set(normalizeHolderName(name), op.inn);
  }
  return map;
}

/**
 * Compares legal names loosely: case, quotes, spaces, hyphens and the legal
 * form (ПАО/ОАО/ЗАО/АО/ООО) vary between register editions.
 */
export function normalizeHolderName(name: string): string {
  return name
    .toLowerCase()
    .replaceAll('ё', 'е')
    .replace(/^\s*(пао|оао|зао|нао|ао|ооо)\s+/u, '')
    .replace(/[\s"'«»“”„\-–—.]/gu, '');
}
