import { readCsvBatches, readCsvHeader } from '../../files/read-csv-batches.js';
import { readLineBatches } from '../../files/read-line-batches.js';
import type { RecordBatch } from '../../files/record-batch.js';
import { type ChunkColumns, emptyChunkColumns, pushRecord } from './load-import-chunk.js';
import {
  csvLine,
  type ParsedRecord,
  parseCsvRecord,
  parseNdjsonRecord,
  subscriberColumns,
} from './parse-subscriber-record.js';

/** One batch of a subscriber file, checked: the good records as load columns, the bad ones by line. */
export interface CheckedChunk {
  endOffset: number;
  lastLineNo: number;
  columns: ChunkColumns;
  rejects: Array<{ lineNo: number; reason: string }>;
  /** A record of the chunk as one line of text, by its line (for the rejects file). */
  textAt: (lineNo: number) => string;
}

export interface SubscriberFileRecords {
  /** Where the data starts: after the CSV header, or at 0. */
  dataStart: { offset: number; lineNo: number };
  chunks(from: { offset: number; lineNo: number }, batchSize: number): AsyncGenerator<CheckedChunk>;
}

interface Format<T> {
  batches(
    from: { offset: number; lineNo: number },
    batchSize: number,
  ): AsyncGenerator<RecordBatch<T>>;
  parse(value: T): ParsedRecord;
  text(value: T): string;
}

/**
 * A subscriber file's records: CSV through the CSV reader (a quoted field
 * may hold commas, quotes and line breaks), its columns found by the header;
 * NDJSON one object per line.
 */
export async function openSubscriberFile(
  file: string,
  format: 'csv' | 'ndjson',
): Promise<SubscriberFileRecords> {
  if (format === 'ndjson') {
    return records(
      { offset: 0, lineNo: 0 },
      {
        batches: (from, batchSize) =>
          readLineBatches(file, { startOffset: from.offset, startLineNo: from.lineNo, batchSize }),
        parse: parseNdjsonRecord,
        text: (line: string) => line,
      },
    );
  }
  const header = await readCsvHeader(file);
  if (header === null) {
    throw new Error(`${file} is empty: a CSV subscriber file starts with a header`);
  }
  const columns = subscriberColumns(header.fields);
  return records(
    { offset: header.endOffset, lineNo: header.lineNo },
    {
      batches: (from, batchSize) =>
        readCsvBatches(file, { startOffset: from.offset, startLineNo: from.lineNo, batchSize }),
      parse: (values: string[]) => parseCsvRecord(values, columns),
      text: csvLine,
    },
  );
}

function records<T>(
  dataStart: SubscriberFileRecords['dataStart'],
  format: Format<T>,
): SubscriberFileRecords {
  return {
    dataStart,
    async *chunks(from, batchSize) {
      for await (const batch of format.batches(from, batchSize)) yield check(batch, format);
    },
  };
}

function check<T>(batch: RecordBatch<T>, format: Format<T>): CheckedChunk {
  const columns = emptyChunkColumns();
  const rejects: CheckedChunk['rejects'] = [];
  for (const { lineNo, value } of batch.records) {
    const parsed = format.parse(value);
    if (parsed.ok) pushRecord(columns, lineNo, parsed.record);
    else rejects.push({ lineNo, reason: parsed.reason });
  }
  return {
    endOffset: batch.endOffset,
    lastLineNo: batch.lastLineNo,
    columns,
    rejects,
    // Rejects are rare: a record is looked up (records are in line order) only when written.
    textAt: (lineNo) => {
      const found = findByLine(batch.records, lineNo);
      return found === undefined ? '' : format.text(found);
    },
  };
}

function findByLine<T>(records: RecordBatch<T>['records'], lineNo: number): T | undefined {
  let lo = 0;
  let hi = records.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = records[mid] as { lineNo: number; value: T };
    if (at.lineNo === lineNo) return at.value;
    if (at.lineNo < lineNo) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
