import { createReadStream } from 'node:fs';
import { IdbridgeError } from '../core/errors.js';
import { type LoadWarning, LoadWarningCollector } from './load-warning.js';
import { sortIndexesByKey } from './sort-indexes-by-key.js';

/** Who serves a ported number now, as БДПН names it. */
export interface PortOwner {
  ownerId: string;
  mnc: string;
}

/**
 * A БДПН snapshot held compactly: a number is stored as its 10-digit
 * national form minus 9,000,000,000 (every Russian mobile number starts
 * with 9, so the rest fits a Uint32), 6 bytes per number with its owner.
 */
export interface PortabilitySnapshot {
  file: string;
  /** Ascending, unique: national number − 9,000,000,000. */
  numbers: Uint32Array;
  /** `owners` index for each entry of `numbers`. */
  ownerIndexes: Uint16Array;
  owners: readonly PortOwner[];
  warnings: LoadWarning[];
  rejectedRows: number;
  /** Rows overridden by a later row for the same number. */
  duplicateRows: number;
}

export interface PortabilityParseOptions {
  onWarning?: (w: LoadWarning) => void;
  maxWarnings?: number;
}

export const PORT_ALL_HEADER = 'Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount';
const MAX_OWNERS = 0xffff;

/**
 * Streams a `Port_All` file (`Number,OwnerId,MNC,Route,RegionCode,PortDate,
 * RowCount`, Number 10 digits without +7). Bad rows are reported by line
 * and skipped. When a number appears twice the later row wins: a snapshot
 * that was appended to lists the newer porting last.
 */
export async function loadPortabilitySnapshot(
  path: string,
  options: PortabilityParseOptions = {},
): Promise<PortabilitySnapshot> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    return await parsePortabilitySnapshot(stream, path, options);
  } catch (err) {
    if (err instanceof IdbridgeError) throw err;
    throw new IdbridgeError(
      'INVALID_ARGUMENT',
      `cannot read portability snapshot ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    stream.destroy();
  }
}

/** Parses chunks of a snapshot (Buffers are read as ASCII/Latin-1). */
export async function parsePortabilitySnapshot(
  chunks: AsyncIterable<Buffer | string>,
  file: string,
  options: PortabilityParseOptions = {},
): Promise<PortabilitySnapshot> {
  const parser = new PortAllLineParser(file, options);
  let rest = '';
  for await (const chunk of chunks) {
    const data = rest + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    let start = 0;
    for (let nl = data.indexOf('\n'); nl >= 0; nl = data.indexOf('\n', start)) {
      parser.line(data, start, nl);
      start = nl + 1;
    }
    rest = data.slice(start);
  }
  if (rest !== '') parser.line(rest, 0, rest.length);
  return parser.finish();
}

class PortAllLineParser {
  private readonly warnings: LoadWarningCollector;
  private numbers = new Uint32Array(1 << 16);
  private ownerIndexes = new Uint16Array(1 << 16);
  private count = 0;
  private ascending = true;
  private readonly ownerIndexByKey = new Map<string, number>();
  private readonly owners: PortOwner[] = [];
  private lineNo = 0;
  private dataRows = 0;
  private rejectedRows = 0;
  /** RowCount of the first data row; null when that cell is not a number. */
  private declaredRowCount: number | null | undefined;

  constructor(
    private readonly file: string,
    options: PortabilityParseOptions,
  ) {
    this.warnings = new LoadWarningCollector(options.maxWarnings, options.onWarning);
  }

  /** Handles `s[start, end)`, one line without its `\n`. */
  line(s: string, start: number, end: number): void {
    const lineNo = ++this.lineNo;
    if (end > start && s.charCodeAt(end - 1) === 13) end--;
    if (lineNo === 1) {
      if (s.startsWith('\u00ef\u00bb\u00bf', start)) start += 3; // UTF-8 BOM read as Latin-1
      if (s.startsWith('Number,', start)) {
        if (s.slice(start, end) !== PORT_ALL_HEADER) {
          throw new IdbridgeError(
            'INVALID_ARGUMENT',
            `${this.file}:1: not a Port_All header; expected ${PORT_ALL_HEADER}`,
          );
        }
        return;
      }
    }
    if (start === end) return;
    this.dataRows++;
    const problem = this.row(s, start, end);
    if (problem !== undefined) {
      this.rejectedRows++;
      this.warnings.add(this.file, lineNo, `${problem}; row skipped`);
    }
  }

  // Parsed by hand (no CSV library, no split): this runs tens of millions of times.
  private row(s: string, start: number, end: number): string | undefined {
    const c1 = s.indexOf(',', start);
    if (c1 < 0 || c1 >= end) return 'expected 7 columns';
    if (c1 - start !== 10 || s.charCodeAt(start) !== 57 /* 9 */) {
      return 'Number is not a 10-digit mobile number starting with 9';
    }
    let value = 0;
    for (let i = start + 1; i < c1; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return 'Number has a non-digit';
      value = value * 10 + d;
    }
    const c3 = s.indexOf(',', s.indexOf(',', c1 + 1) + 1);
    let commas = 0;
    for (let i = c1; i < end; i++) if (s.charCodeAt(i) === 44) commas++;
    if (commas !== 6 || c3 < 0) return `expected 7 columns, found ${commas + 1}`;
    const ownerIndex = this.ownerIndex(s.slice(c1 + 1, c3));
    if (ownerIndex < 0)
      return 'OwnerId/MNC malformed (OwnerId letters/digits, MNC 2–3 digits, one required)';
    if (this.declaredRowCount === undefined) {
      const declared = s.slice(s.lastIndexOf(',', end - 1) + 1, end).trim();
      this.declaredRowCount = /^\d+$/.test(declared) ? Number(declared) : null;
    }
    this.push(value, ownerIndex);
    return undefined;
  }

  /** Interns `OwnerId,MNC`; −1 for a malformed pair or too many owners. */
  private ownerIndex(key: string): number {
    const known = this.ownerIndexByKey.get(key);
    if (known !== undefined) return known;
    const comma = key.indexOf(',');
    const ownerId = key.slice(0, comma).trim();
    const mnc = key.slice(comma + 1).trim();
    const ok =
      /^[A-Za-z0-9_.-]*$/.test(ownerId) &&
      /^(\d{2,3})?$/.test(mnc) &&
      (ownerId !== '' || mnc !== '') &&
      this.owners.length < MAX_OWNERS;
    const index = ok ? this.owners.push({ ownerId, mnc }) - 1 : -1;
    if (ok) this.ownerIndexByKey.set(key, index);
    return index;
  }

  private push(value: number, ownerIndex: number): void {
    if (this.count === this.numbers.length) {
      const numbers = new Uint32Array(this.count * 2);
      numbers.set(this.numbers);
      this.numbers = numbers;
      const owners = new Uint16Array(this.count * 2);
      owners.set(this.ownerIndexes);
      this.ownerIndexes = owners;
    }
    if (this.count > 0 && value <= this.numbers[this.count - 1]!) this.ascending = false;
    this.numbers[this.count] = value;
    this.ownerIndexes[this.count] = ownerIndex;
    this.count++;
  }

  finish(): PortabilitySnapshot {
    const raw = this.numbers.subarray(0, this.count);
    const rawOwners = this.ownerIndexes.subarray(0, this.count);
    let numbers: Uint32Array;
    let ownerIndexes: Uint16Array;
    let duplicateRows = 0;
    if (this.ascending) {
      numbers = raw.slice();
      ownerIndexes = rawOwners.slice();
    } else {
      const order = sortIndexesByKey(raw);
      numbers = new Uint32Array(this.count);
      ownerIndexes = new Uint16Array(this.count);
      let n = 0;
      for (let i = 0; i < order.length; i++) {
        const k = order[i]!;
        const value = raw[k]!;
        // Stable order: a later row for the same number overwrites the earlier.
        if (n > 0 && numbers[n - 1] === value) {
          duplicateRows++;
          n--;
        }
        numbers[n] = value;
        ownerIndexes[n] = rawOwners[k]!;
        n++;
      }
      numbers = numbers.slice(0, n);
      ownerIndexes = ownerIndexes.slice(0, n);
    }
    if (duplicateRows > 0) {
      this.warnings.add(
        this.file,
        0,
        `${duplicateRows} rows repeat an earlier number; the later row wins`,
      );
    }
    if (typeof this.declaredRowCount === 'number' && this.declaredRowCount !== this.dataRows) {
      this.warnings.add(
        this.file,
        0,
        `RowCount says ${this.declaredRowCount} rows but the file has ${this.dataRows}; it may be truncated`,
      );
    }
    return {
      file: this.file,
      numbers,
      ownerIndexes,
      owners: this.owners,
      warnings: this.warnings.kept,
      rejectedRows: this.rejectedRows,
      duplicateRows,
    };
  }
}
