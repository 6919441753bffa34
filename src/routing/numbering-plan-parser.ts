import { readFile } from 'node:fs/promises';
import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { IdbridgeError } from '../core/errors.js';
import { csvFileError, MAX_RECORD_BYTES } from '../files/csv-file-error.js';
import { decodeRegisterText, type RegisterEncoding } from './decode-register-text.js';
import { isValidInn } from './is-valid-inn.js';
import { type LoadWarning, LoadWarningCollector } from './load-warning.js';

/** One numbering-plan row: the numbers `+7 <code><from…to>` and their holder. */
export interface PlanRange {
  /** АВС/DEF code, 3 digits (900–999 for mobile ranges). */
  code: number;
  /** Subscriber part, 0…9,999,999 (the 7 digits after the code). */
  from: number;
  to: number;
  holderName: string;
  region: string;
  /** Территория ГАР (8-column era only). */
  territory?: string;
  /** Holder's ИНН (7- and 8-column eras). */
  inn?: string;
  /** Where the row came from, for overlap reports. */
  file: string;
  line: number;
}

/**
 * The three editions of the register layout, told apart by the header:
 * 6 columns (no ИНН), 7 (with ИНН), 8 (with Территория ГАР and ИНН).
 */
export type PlanColumns = 6 | 7 | 8;

export interface NumberingPlanFile {
  file: string;
  columns: PlanColumns;
  encoding: RegisterEncoding;
  ranges: PlanRange[];
  /** Rows skipped (or kept with a remark), by file and line; capped. */
  warnings: LoadWarning[];
  /** How many rows were skipped (all of them, even past the warning cap). */
  rejectedRows: number;
}

export interface PlanParseOptions {
  onWarning?: (w: LoadWarning) => void;
  /** Warnings kept in the result; all are counted and passed to onWarning. */
  maxWarnings?: number;
}

/**
 * Reads one register file. The file is small (≈17,000 rows, a few MB), so
 * it is read whole: encoding detection needs all bytes anyway. Bad rows are
 * reported and skipped; only an unreadable file, an unknown header or a
 * quote never closed (which would swallow the rows after it) throws.
 */
export async function loadNumberingPlanFile(
  path: string,
  options: PlanParseOptions = {},
): Promise<NumberingPlanFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new IdbridgeError(
      'INVALID_ARGUMENT',
      `cannot read numbering plan ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return parseNumberingPlan(bytes, path, options);
}

export function parseNumberingPlan(
  bytes: Uint8Array,
  file: string,
  options: PlanParseOptions = {},
): NumberingPlanFile {
  const { text, encoding } = decodeRegisterText(bytes);
  const warnings = new LoadWarningCollector(options.maxWarnings, options.onWarning);
  const rows = readRegisterRows(text, file);
  const header = rows[0];
  const layout = readHeader(header?.cells ?? [], file);
  const ranges: PlanRange[] = [];
  let rejectedRows = 0;
  for (const { cells, lineNo } of rows.slice(1)) {
    const result = parseRow(cells, layout, file, lineNo);
    if (typeof result === 'string') {
      warnings.add(file, lineNo, `${result}; row skipped`);
      rejectedRows++;
      continue;
    }
    if (layout.inn >= 0 && result.inn === undefined) {
      warnings.add(file, lineNo, 'no ИНН; range kept, holder matched by name only');
    }
    ranges.push(result);
  }
  return {
    file,
    columns: layout.columns,
    encoding,
    ranges,
    warnings: warnings.kept,
    rejectedRows,
  };
}

interface Layout {
  columns: PlanColumns;
  territory: number;
  inn: number;
}

const BASE_HEADER = ['от', 'до', 'емкость', 'оператор', 'регион'];

function readHeader(header: string[], file: string): Layout {
  const cells = header.map((c) =>
    c
      .replace(/^\uFEFF/, '')
      .toLowerCase()
      .replaceAll('ё', 'е')
      .replace(/\s+/g, ''),
  );
  const codeOk = /def|abc|авс/.test(cells[0] ?? '');
  const baseOk = BASE_HEADER.every((name, i) => cells[i + 1] === name);
  const n = cells.length;
  if (codeOk && baseOk) {
    if (n === 6) return { columns: 6, territory: -1, inn: -1 };
    if (n === 7 && cells[6] === 'инн') return { columns: 7, territory: -1, inn: 6 };
    if (n === 8 && cells[6]?.startsWith('территория') && cells[7] === 'инн') {
      return { columns: 8, territory: 6, inn: 7 };
    }
  }
  throw new IdbridgeError(
    'INVALID_ARGUMENT',
    `${file}:1: not a numbering-plan register header (expected "АВС/ DEF;От;До;Емкость;Оператор;Регион" with optional "Территория ГАР" and "ИНН"), got ${JSON.stringify(header.join(';').slice(0, 120))}`,
  );
}

/**
 * The register's rows as trimmed cells with their line numbers, by csv-parse:
 * `;` or `\t;\t` delimits, a quoted cell may hold `;` and doubled quotes,
 * and the bare quotes of a name (`ООО "Т2 Мобайл"`) stay as written.
 */
function readRegisterRows(text: string, file: string): Array<{ cells: string[]; lineNo: number }> {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  let lastGoodLine = 0;
  try {
    records = parse(text, {
      delimiter: ['\t;\t', ';'],
      record_delimiter: ['\r\n', '\n'],
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_BYTES,
      info: true,
      on_record: (record, context) => {
        lastGoodLine = context.lines;
        return record;
      },
    }) as unknown as typeof records;
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    // A quote left open is noticed at the end; its row starts after the last good one.
    const line =
      err.code === 'CSV_QUOTE_NOT_CLOSED' || err.code === 'CSV_MAX_RECORD_SIZE'
        ? lastGoodLine + 1
        : Number((err as CsvError & { lines?: number }).lines ?? 0);
    throw csvFileError(file, line, err);
  }
  return records.map(({ record, info }) => ({
    cells: record.map((c) => c.trim()),
    // Exact unless a quoted cell holds a line break, which no register name does.
    lineNo: info.lines,
  }));
}

function parseRow(cells: string[], layout: Layout, file: string, line: number): PlanRange | string {
  if (cells.length !== layout.columns) {
    return `expected ${layout.columns} columns, found ${cells.length}`;
  }
  const [codeText, fromText, toText, capacityText, holderName, region] = cells as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d{3}$/.test(codeText)) return `АВС/DEF code ${JSON.stringify(codeText)} is not 3 digits`;
  // Spreadsheet round trips drop the zero padding, so 1–7 digits are accepted.
  if (!/^\d{1,7}$/.test(fromText)) return `От ${JSON.stringify(fromText)} is not up to 7 digits`;
  if (!/^\d{1,7}$/.test(toText)) return `До ${JSON.stringify(toText)} is not up to 7 digits`;
  if (!/^\d{1,8}$/.test(capacityText))
    return `Емкость ${JSON.stringify(capacityText)} is not a number`;
  const from = Number(fromText);
  const to = Number(toText);
  if (from > to) return `От ${fromText} is greater than До ${toText}`;
  if (Number(capacityText) !== to - from + 1) {
    return `Емкость ${capacityText} is not До − От + 1 = ${to - from + 1}`;
  }
  if (holderName === '') return 'Оператор is empty';
  const range: PlanRange = { code: Number(codeText), from, to, holderName, region, file, line };
  if (layout.territory >= 0) range.territory = cells[layout.territory] as string;
  if (layout.inn >= 0) {
    const inn = cells[layout.inn] as string;
    if (inn !== '') {
      if (!isValidInn(inn)) return `ИНН ${JSON.stringify(inn)} is not a valid 10- or 12-digit INN`;
      range.inn = inn;
    }
  }
  return range;
}
