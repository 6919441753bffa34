import type { PortOwner } from './portability-parser.js';

/** A numbering-plan range as an answer shows it (shared, frozen objects). */
export interface RangeInfo {
  holderName: string;
  /** From the register's ИНН column, or from the holder's known legal name. */
  inn: string | undefined;
  region: string;
  territory: string | undefined;
  /** First and last number of the range, E.164. */
  firstNumber: string;
  lastNumber: string;
}

/**
 * Why a number cannot be routed:
 * - NOT_RUSSIAN_NUMBER: outside +7, or +7 6xx/7xx (Kazakhstan);
 * - NOT_MOBILE_RANGE: Russian but no DEF range covers it (landline ABC
 *   numbers such as +7 495…, or an unassigned DEF block);
 * - HOLDER_NOT_IN_DIRECTORY: the serving operator is known (range holder or
 *   port owner) but no directory participant stands for it.
 */
export type RouteFailureReason =
  | 'NOT_RUSSIAN_NUMBER'
  | 'NOT_MOBILE_RANGE'
  | 'HOLDER_NOT_IN_DIRECTORY';

/** I5: a ported number goes to its БДПН owner; otherwise to the range holder. */
export type RouteAnswer =
  | {
      found: true;
      msisdn: string;
      participantId: string;
      source: 'ported';
      portOwner: PortOwner;
      /** The range the number was allocated from (the donor), if known. */
      range: RangeInfo | undefined;
    }
  | { found: true; msisdn: string; participantId: string; source: 'range'; range: RangeInfo }
  | { found: false; msisdn: string; reason: 'NOT_RUSSIAN_NUMBER' | 'NOT_MOBILE_RANGE' }
  | {
      found: false;
      msisdn: string;
      reason: 'HOLDER_NOT_IN_DIRECTORY';
      source: 'ported';
      portOwner: PortOwner;
      range: RangeInfo | undefined;
    }
  | {
      found: false;
      msisdn: string;
      reason: 'HOLDER_NOT_IN_DIRECTORY';
      source: 'range';
      range: RangeInfo;
    };
