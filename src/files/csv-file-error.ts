import type { CsvError } from 'csv-parse';
import { IdbridgeError } from '../core/errors.js';

// A subscriber, legacy or register record is a few hundred bytes; a record
// this long means a quote left open, and reading on would hold the file.
export const MAX_RECORD_BYTES = 1 << 20;

const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE:
    'a closing quote is followed by something other than a delimiter or a line end',
  CSV_MAX_RECORD_SIZE: `a record is longer than ${MAX_RECORD_BYTES} bytes (a quote left open?)`,
};

/**
 * A malformed quote is not a bad record but a bad file: every record after
 * it would be read wrongly. Says where, in the user's words, as bad input.
 */
export function csvFileError(file: string, line: number, err: CsvError): IdbridgeError {
  const problem = CSV_PROBLEMS[err.code] ?? err.message;
  return new IdbridgeError(
    'INVALID_ARGUMENT',
    `${file}:${line}: ${problem} (${err.code}); fix the file and load it again`,
    { cause: err },
  );
}
