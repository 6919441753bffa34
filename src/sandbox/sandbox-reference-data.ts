import { KNOWN_OPERATORS } from '../routing/known-operators.js';

/**
 * The sandbox's numbering plan: real DEF codes of the Big Four in Moscow
 * with their real INNs (as in the public register), in the current 8-column
 * layout. Each operator's synthetic subscribers live in its first range.
 */
export const SANDBOX_RANGES: ReadonlyArray<{ operatorId: string; def: string; holder: string }> = [
  { operatorId: 'beeline', def: '903', holder: 'ПАО "ВымпелКом"' },
  { operatorId: 'beeline', def: '905', holder: 'ПАО "ВымпелКом"' },
  { operatorId: 'mts', def: '916', holder: 'ПАО "Мобильные ТелеСистемы"' },
  { operatorId: 'mts', def: '915', holder: 'ПАО "Мобильные ТелеСистемы"' },
  { operatorId: 'megafon', def: '926', holder: 'ПАО "МегаФон"' },
  { operatorId: 'megafon', def: '925', holder: 'ПАО "МегаФон"' },
  { operatorId: 't2', def: '977', holder: 'ООО "Т2 Мобайл"' },
  { operatorId: 't2', def: '900', holder: 'ООО "Т2 Мобайл"' },
];

export function sandboxPlanCsv(): string {
  const innOf = new Map(KNOWN_OPERATORS.map((o) => [o.id, o.inn]));
  const rows = SANDBOX_RANGES.map(
    (r) =>
      `${r.def};0000000;9999999;10000000;${r.holder};г. Москва * Московская область;г. Москва;${innOf.get(r.operatorId)}`,
  );
  return `\uFEFFАВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН\n${rows.join('\n')}\n`;
}

/** The first DEF code of an operator: where its synthetic subscribers are numbered. */
export function homeDef(operatorId: string): string {
  const range = SANDBOX_RANGES.find((r) => r.operatorId === operatorId);
  if (!range) throw new Error(`no sandbox range for ${operatorId}`);
  return range.def;
}

/**
 * Ported numbers: every 100th subscriber number of each operator's home
 * range is served by the next operator (I5), as the Port_All snapshot says.
 * Returns [number without +7, new operator id].
 */
export function sandboxPortedNumbers(subscribersPerOperator: number): Array<[string, string]> {
  const ids = KNOWN_OPERATORS.map((o) => o.id);
  const out: Array<[string, string]> = [];
  ids.forEach((donor, i) => {
    const recipient = ids[(i + 1) % ids.length] as string;
    for (let n = 99; n < subscribersPerOperator; n += 100) {
      out.push([`${homeDef(donor)}${String(n).padStart(7, '0')}`, recipient]);
    }
  });
  return out;
}

export function sandboxPortAllCsv(ported: Array<[string, string]>): string {
  const byId = new Map(KNOWN_OPERATORS.map((o) => [o.id, o]));
  const lines = ported.map(([number, to]) => {
    const op = byId.get(to);
    return `${number},${op?.portOwnerIds[0]},${op?.mncs[0]},D77${op?.mncs[0]},77,2025-06-01T12:00:00+03:00,${ported.length}`;
  });
  return `Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount\n${lines.join('\n')}\n`;
}
