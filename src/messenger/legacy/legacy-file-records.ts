import { readCsvBatches, readCsvHeader } from '../../files/read-csv-batches.js';
import { readLineBatches } from '../../files/read-line-batches.js';
import type { RecordBatch } from '../../files/record-batch.js';
import {
  type LegacyFileFormat,
  type LegacyRecord,
  legacyCsvRecordParser,
  parseLegacyNdjson,
} from './parse-legacy-record.js';

export interface LegacyFileRecords {
  /** Where the data starts: after the CSV header, or at 0. */
  dataStart: { offset: number; lineNo: number };
  batches(
    from: { offset: number; lineNo: number },
    batchSize: number,
  ): AsyncGenerator<RecordBatch<LegacyRecord>>;
}

/**
 * A legacy user file's records, checked: CSV through the CSV reader (quoted
 * fields may hold commas, quotes and line breaks), NDJSON one object a line.
 */
export async function openLegacyFile(
  file: string,
  format: LegacyFileFormat,
): Promise<LegacyFileRecords> {
  if (format === 'ndjson') {
    return {
      dataStart: { offset: 0, lineNo: 0 },
      batches: (from, batchSize) =>
        checked(
          readLineBatches(file, { startOffset: from.offset, startLineNo: from.lineNo, batchSize }),
          parseLegacyNdjson,
        ),
    };
  }
  const header = await readCsvHeader(file);
  const parse = legacyCsvRecordParser(header?.fields ?? []);
  return {
    dataStart: { offset: header?.endOffset ?? 0, lineNo: header?.lineNo ?? 0 },
    batches: (from, batchSize) =>
      checked(
        readCsvBatches(file, { startOffset: from.offset, startLineNo: from.lineNo, batchSize }),
        parse,
      ),
  };
}

async function* checked<T>(
  batches: AsyncGenerator<RecordBatch<T>>,
  parse: (value: T) => LegacyRecord,
): AsyncGenerator<RecordBatch<LegacyRecord>> {
  for await (const batch of batches) {
    yield {
      ...batch,
      records: batch.records.map((r) => ({ lineNo: r.lineNo, value: parse(r.value) })),
    };
  }
}
