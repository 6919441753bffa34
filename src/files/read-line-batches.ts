import { createReadStream } from 'node:fs';
import type { RecordBatch } from './record-batch.js';

export interface LineReadOptions {
  /** Byte offset to start at: 0, or a batch's `endOffset` to resume. */
  startOffset: number;
  /** Line number just before `startOffset` (0 at the start of the file). */
  startLineNo: number;
  /** Non-blank lines per batch. */
  batchSize: number;
}

/**
 * Streams a line-per-record file (NDJSON) from a byte offset as batches of
 * its non-blank lines, with exact byte offsets for resuming. Memory stays
 * bounded by one read buffer plus one batch; the consumer's pace pulls the
 * stream. LF ends a line, a trailing CR is dropped, a last line without LF
 * is still a line. Only for formats where LF never occurs inside a record
 * (JSON escapes it); CSV goes through readCsvBatches.
 */
export async function* readLineBatches(
  file: string,
  options: LineReadOptions,
): AsyncGenerator<RecordBatch<string>> {
  const stream = createReadStream(file, { start: options.startOffset, highWaterMark: 1 << 20 });
  let offset = options.startOffset;
  let lineNo = options.startLineNo;
  let carry: Buffer | null = null;
  let batch = newBatch(offset, lineNo);
  const take = (buf: Buffer, start: number, end: number, consumed: number) => {
    const stop = end > start && buf[end - 1] === 13 ? end - 1 : end;
    lineNo += 1;
    offset += consumed;
    const line = buf.toString('utf8', start, stop);
    if (line.trim() !== '') batch.records.push({ lineNo, value: line });
    batch.endOffset = offset;
    batch.lastLineNo = lineNo;
  };

  for await (const piece of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = carry ? Buffer.concat([carry, piece]) : piece;
    carry = null;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      take(buf, start, nl, nl + 1 - start);
      start = nl + 1;
      if (batch.records.length >= options.batchSize) {
        yield batch;
        batch = newBatch(offset, lineNo);
      }
    }
    if (start < buf.length) carry = buf.subarray(start);
  }
  if (carry && carry.length > 0) take(carry, 0, carry.length, carry.length);
  if (batch.records.length > 0) yield batch;
}

function newBatch(offset: number, lineNo: number): RecordBatch<string> {
  return { records: [], endOffset: offset, lastLineNo: lineNo };
}
