import { knownInnsByRegisterName, normalizeHolderName } from './known-operators.js';
import type { LoadWarning } from './load-warning.js';
import { normalizeMsisdn } from './normalize-msisdn.js';
import type { PlanRange } from './numbering-plan-parser.js';
import type { PortabilitySnapshot, PortOwner } from './portability-parser.js';
import type { RangeInfo, RouteAnswer } from './route-answer.js';
import { createParticipantIndex, type RoutingParticipant } from './routing-participant.js';

/**
 * An immutable routing table: safe to share between concurrent requests,
 * replaced whole on reload (see routing-service.ts), never mutated.
 */
export interface RoutingTable {
  /**
   * Routes a number (I5). Accepts E.164 on a fast path and anything
   * normalizeMsisdn accepts otherwise; throws INVALID_ARGUMENT for input that
   * is not a phone number.
   */
  lookup(msisdn: string): RouteAnswer;
  readonly stats: RoutingTableStats;
}

export interface RoutingTableStats {
  ranges: number;
  portedNumbers: number;
  /** Plan rows outside 9xx (landline ABC files loaded by mistake) ignored. */
  nonMobileRanges: number;
  overlappingRanges: number;
}

export interface BuildRoutingTableInput {
  ranges: readonly PlanRange[];
  portability?: PortabilitySnapshot | undefined;
  participants: readonly RoutingParticipant[];
  /**
   * Legal name → INN for rows without an ИНН (6-column era). Defaults to the
   * known national operators' register names.
   */
  innsByHolderName?: ReadonlyMap<string, string>;
}

const EMPTY_PORTABILITY = {
  numbers: new Uint32Array(0),
  ownerIndexes: new Uint16Array(0),
  owners: [],
};

/** Builds a table; overlapping ranges are reported and the later one skipped. */
export function buildRoutingTable(input: BuildRoutingTableInput): {
  table: RoutingTable;
  warnings: LoadWarning[];
} {
  const index = createParticipantIndex(input.participants);
  const innsByName = input.innsByHolderName ?? knownInnsByRegisterName();
  const warnings: LoadWarning[] = [];

  // Numbers are stored as national number − 9,000,000,000 (mobile = 9xx).
  const mobile = input.ranges
    .filter((r) => r.code >= 900 && r.code <= 999)
    .map((r) => ({
      r,
      start: (r.code - 900) * 10_000_000 + r.from,
      end: (r.code - 900) * 10_000_000 + r.to,
    }))
    .sort((a, b) => a.start - b.start);
  const starts = new Uint32Array(mobile.length);
  const ends = new Uint32Array(mobile.length);
  const infos: RangeInfo[] = [];
  const rangeParticipants: (string | undefined)[] = [];
  let n = 0;
  let overlapping = 0;
  for (const { r, start, end } of mobile) {
    if (n > 0 && start <= ends[n - 1]!) {
      const kept = infos[n - 1]!;
      overlapping++;
      warnings.push({
        file: r.file,
        line: r.line,
        message: `range ${describeSpan(start, end)} overlaps range ${describeSpan(starts[n - 1]!, ends[n - 1]!)} (${kept.holderName}); row skipped`,
      });
      continue;
    }
    const inn = r.inn ?? innsByName.get(normalizeHolderName(r.holderName));
    starts[n] = start;
    ends[n] = end;
    infos.push(
      Object.freeze({
        holderName: r.holderName,
        inn,
        region: r.region,
        territory: r.territory,
        firstNumber: `+79${String(start).padStart(9, '0')}`,
        lastNumber: `+79${String(end).padStart(9, '0')}`,
      }),
    );
    rangeParticipants.push(index.byInn(inn));
    n++;
  }

  const port = input.portability ?? EMPTY_PORTABILITY;
  const owners = port.owners.map((o) => Object.freeze({ ...o }));
  const ownerParticipants = owners.map((o) => index.byPortOwner(o.ownerId, o.mnc));
  const table = createTable({
    starts: starts.slice(0, n),
    ends: ends.slice(0, n),
    infos,
    rangeParticipants,
    ported: port.numbers,
    portedOwners: port.ownerIndexes,
    owners,
    ownerParticipants,
    stats: Object.freeze({
      ranges: n,
      portedNumbers: port.numbers.length,
      nonMobileRanges: input.ranges.length - mobile.length,
      overlappingRanges: overlapping,
    }),
  });
  return { table, warnings };
}

interface TableData {
  starts: Uint32Array;
  ends: Uint32Array;
  infos: RangeInfo[];
  rangeParticipants: (string | undefined)[];
  ported: Uint32Array;
  portedOwners: Uint16Array;
  owners: PortOwner[];
  ownerParticipants: (string | undefined)[];
  stats: RoutingTableStats;
}

function createTable(d: TableData): RoutingTable {
  const {
    starts,
    ends,
    infos,
    rangeParticipants,
    ported,
    portedOwners,
    owners,
    ownerParticipants,
  } = d;

  /** Index of the range holding `v`, or −1 (binary search, ranges disjoint). */
  const findRange = (v: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    let hit = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= v) {
        hit = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return hit >= 0 && ends[hit]! >= v ? hit : -1;
  };
  // A first-level index over the ported numbers by their top bits narrows
  // each binary search to one bucket, sparing ~16 cache misses per lookup.
  const bucketStarts = indexBuckets(ported);
  const findPorted = (v: number): number => {
    const b = v >>> BUCKET_SHIFT;
    let lo = bucketStarts[b]!;
    let hi = bucketStarts[b + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = ported[mid]!;
      if (x === v) return mid;
      if (x < v) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };

  const lookup = (input: string): RouteAnswer => {
    let msisdn = input;
    let v = mobileValue(input);
    if (v < 0) {
      msisdn = normalizeMsisdn(input);
      if (msisdn.length !== 12 || !msisdn.startsWith('+7')) {
        return { found: false, msisdn, reason: 'NOT_RUSSIAN_NUMBER' };
      }
      const lead = msisdn.charCodeAt(2);
      // +7 6xx and +7 7xx belong to Kazakhstan, which shares country code 7.
      if (lead === 54 || lead === 55) return { found: false, msisdn, reason: 'NOT_RUSSIAN_NUMBER' };
      v = mobileValue(msisdn);
      if (v < 0) return { found: false, msisdn, reason: 'NOT_MOBILE_RANGE' };
    }
    const r = findRange(v);
    const range = r >= 0 ? infos[r] : undefined;
    const p = findPorted(v);
    if (p >= 0) {
      // I5: the portability database first.
      const o = portedOwners[p]!;
      const portOwner = owners[o]!;
      const participantId = ownerParticipants[o];
      return participantId === undefined
        ? {
            found: false,
            msisdn,
            reason: 'HOLDER_NOT_IN_DIRECTORY',
            source: 'ported',
            portOwner,
            range,
          }
        : { found: true, msisdn, participantId, source: 'ported', portOwner, range };
    }
    if (range === undefined) return { found: false, msisdn, reason: 'NOT_MOBILE_RANGE' };
    const participantId = rangeParticipants[r];
    return participantId === undefined
      ? { found: false, msisdn, reason: 'HOLDER_NOT_IN_DIRECTORY', source: 'range', range }
      : { found: true, msisdn, participantId, source: 'range', range };
  };

  return Object.freeze({ lookup, stats: d.stats });
}

/** Stored values are < 10⁹ < 2³⁰: 2¹⁶ buckets of 2¹⁴ consecutive numbers. */
const BUCKET_SHIFT = 14;
const BUCKETS = 2 ** 30 / 2 ** BUCKET_SHIFT;

/** `starts[b]…starts[b + 1]` is where bucket b's values lie in sorted `values`. */
function indexBuckets(values: Uint32Array): Uint32Array {
  const starts = new Uint32Array(BUCKETS + 1);
  for (let i = 0; i < values.length; i++) starts[(values[i]! >>> BUCKET_SHIFT) + 1]!++;
  for (let b = 1; b <= BUCKETS; b++) starts[b]! += starts[b - 1]!;
  return starts;
}

/** `+79xxxxxxxxx` → the 9 digits after `+79` as a number; else −1. */
function mobileValue(s: string): number {
  if (
    s.length !== 12 ||
    s.charCodeAt(0) !== 43 ||
    s.charCodeAt(1) !== 55 ||
    s.charCodeAt(2) !== 57
  ) {
    return -1;
  }
  let v = 0;
  for (let i = 3; i < 12; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** `916 0000000–9999999`: a range as the register writes it. */
function describeSpan(start: number, end: number): string {
  const code = 900 + Math.floor(start / 10_000_000);
  const digits = (v: number): string => String(v % 10_000_000).padStart(7, '0');
  return `${code} ${digits(start)}–${digits(end)}`;
}
