import { createReadStream } from 'node:fs';

export interface LineBatch {
  /** Physical line number (1-based) of `lines[0]`. */
  firstLineNo: number;
  lines: string[];
  /** Byte offset just past the last line of the batch: where a resume starts. */
  endOffset: number;
  /** Line number of the last line of the batch (its number even when blank). */
  lastLineNo: number;
}

/**
 * Streams a file from `startOffset` as batches of up to `batchSize` lines,
 * with exact byte offsets for resuming. Memory stays bounded by one read
 * buffer plus one batch; the consumer's pace pulls the stream (backpressure:
 * nothing is read ahead while a batch is being loaded). Lines end in LF;
 * a trailing CR is dropped; a last line without LF is still a line. The
 * line terminator must be the only place a LF byte occurs (UTF-8 guarantees
 * that for text; subscriber fields never span lines).
 */
export async function* readLineBatches(
  file: string,
  options: { startOffset: number; startLineNo: number; batchSize: number },
): AsyncGenerator<LineBatch> {
  const stream = createReadStream(file, { start: options.startOffset, highWaterMark: 1 << 20 });
  let offset = options.startOffset;
  let lineNo = options.startLineNo;
  let carry: Buffer | null = null;
  let batch: LineBatch = newBatch(lineNo + 1, offset);

  for await (const piece of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = carry ? Buffer.concat([carry, piece]) : piece;
    carry = null;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      lineNo += 1;
      offset += nl + 1 - start;
      batch.lines.push(buf.toString('utf8', start, end));
      batch.endOffset = offset;
      batch.lastLineNo = lineNo;
      start = nl + 1;
      if (batch.lines.length >= options.batchSize) {
        yield batch;
        batch = newBatch(lineNo + 1, offset);
      }
    }
    if (start < buf.length) carry = buf.subarray(start);
  }
  if (carry && carry.length > 0) {
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    lineNo += 1;
    offset += carry.length;
    batch.lines.push(carry.toString('utf8', 0, end));
    batch.endOffset = offset;
    batch.lastLineNo = lineNo;
  }
  if (batch.lines.length > 0) yield batch;
}

function newBatch(firstLineNo: number, offset: number): LineBatch {
  return { firstLineNo, lines: [], endOffset: offset, lastLineNo: firstLineNo - 1 };
}

/** The first line of a file (the CSV header), read without streaming the rest. */
export async function readFirstLine(file: string): Promise<string | null> {
  for await (const batch of readLineBatches(file, {
    startOffset: 0,
    startLineNo: 0,
    batchSize: 1,
  })) {
    return batch.lines[0] ?? null;
  }
  return null;
}
