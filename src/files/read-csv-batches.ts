import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { CsvError, Parser } from 'csv-parse';
import { csvFileError, MAX_RECORD_BYTES } from './csv-file-error.js';
import type { RecordBatch } from './record-batch.js';

export interface CsvReadOptions {
  /** Byte offset to start at: 0, or a batch's `endOffset` to resume. */
  startOffset: number;
  /** Line number just before `startOffset` (0 at the start of the file). */
  startLineNo: number;
  /** Records per batch. */
  batchSize: number;
  /** Field delimiter; default `,`. */
  delimiter?: string;
}

/**
 * Streams an RFC 4180 CSV file (csv-parse) from a byte offset as batches of
 * records, with the byte offset just past each batch for resuming and the
 * physical line each record starts on (a quoted field may hold line breaks).
 * Blank lines are skipped; CRLF or LF end records; a BOM at offset 0 is
 * dropped. The consumer's pace pulls the stream (nothing is read ahead while
 * a batch is being loaded). A malformed quote is not a bad record but a bad
 * file: it throws an INVALID_ARGUMENT naming the line, since every record
 * after it would be read wrongly.
 */
export async function* readCsvBatches(
  file: string,
  options: CsvReadOptions,
): AsyncGenerator<RecordBatch<string[]>> {
  const lines = new LineCounter(options.startLineNo);
  const source = createReadStream(file, { start: options.startOffset, highWaterMark: 1 << 20 });
  const parser = source.pipe(lines.tap()).pipe(
    new OffsetParser({
      bom: options.startOffset === 0,
      delimiter: options.delimiter ?? ',',
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  // Records are taken with read() as they come, and the consumer awaits
  // whole batches: a promise per batch, not per record. One batch at most
  // waits ahead; while it waits nothing is read, so the stream stays paused.
  const ready: RecordBatch<string[]>[] = [];
  let batch = newBatch(options.startOffset, options.startLineNo);
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const take = ({ record, bytes }: OffsetRecord) => {
    // csv-parse's own line count takes a CRLF inside quotes for two lines; bytes are exact.
    const endLineNo = lines.lineOfByte(bytes - 1);
    batch.records.push({ lineNo: endLineNo - lineBreaksIn(record), value: record });
    batch.endOffset = options.startOffset + bytes;
    batch.lastLineNo = lines.linesBefore(bytes);
    if (batch.records.length >= options.batchSize) {
      ready.push(batch);
      batch = newBatch(batch.endOffset, batch.lastLineNo);
    }
  };
  const pull = () => {
    while (ready.length === 0) {
      const item = parser.read();
      if (item === null) break;
      take(item);
    }
    notify();
  };
  parser.on('readable', pull);
  parser.on('end', () => {
    ended = true;
    notify();
  });
  // pipe() does not pass a source's error on: a file that cannot be read fails here too.
  const fail = (err: unknown) => {
    failure ??= err;
    notify();
  };
  parser.on('error', fail);
  source.on('error', fail);
  try {
    for (;;) {
      const next = ready.shift();
      if (next) {
        yield next;
        pull();
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } catch (err) {
    if (err instanceof CsvError) {
      // A quote left open is only noticed at the end of the file or of the
      // size limit; the record it opened starts after the last good one.
      const at =
        err.code === 'CSV_INVALID_CLOSING_QUOTE'
          ? lines.lineOfByte(Number((err as CsvError & { bytes?: number }).bytes ?? 0))
          : lines.linesBefore(lines.consumed) + 1;
      throw csvFileError(file, at, err);
    }
    throw err;
  } finally {
    parser.off('readable', pull);
    source.destroy();
    parser.destroy();
  }
  if (batch.records.length > 0) yield batch;
}

/** The first record of a CSV file (its header), with where the data after it starts. */
export async function readCsvHeader(
  file: string,
  delimiter?: string,
): Promise<{ fields: string[]; endOffset: number; lineNo: number } | null> {
  const options = { startOffset: 0, startLineNo: 0, batchSize: 1, delimiter };
  for await (const batch of readCsvBatches(file, options)) {
    const first = batch.records[0];
    if (first) return { fields: first.value, endOffset: batch.endOffset, lineNo: batch.lastLineNo };
  }
  return null;
}

function newBatch(offset: number, lineNo: number): RecordBatch<string[]> {
  return { records: [], endOffset: offset, lastLineNo: lineNo };
}

interface OffsetRecord {
  record: string[];
  /** Bytes read up to the end of this record (its line end included). */
  bytes: number;
}

/**
 * csv-parse's parser, each record paired with the parser's byte count at
 * the moment it is pushed (when `info.bytes` has just passed the record).
 * The library's own `info: true` gives the same figure but copies its whole
 * info object twice per record, a third of the reading time.
 */
class OffsetParser extends Parser {
  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record === null) return super.push(null, encoding);
    const paired: OffsetRecord = { record: record as string[], bytes: this.info.bytes };
    return super.push(paired, encoding);
  }
}

/**
 * Physical line numbers by byte offset (relative to where reading started):
 * the bytes passing to the parser are kept until the records that end in
 * them have been counted, so memory is the parser's read-ahead, not the file.
 */
class LineCounter {
  private readonly chunks: Buffer[] = [];
  /** Offset of chunks[0]. */
  private chunksStart = 0;
  /** Offset up to which newlines are counted, and how many there were before it. */
  consumed = 0;
  private newlines = 0;

  constructor(private readonly startLineNo: number) {}

  tap(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.chunks.push(chunk);
        done(null, chunk);
      },
    });
  }

  /** Lines before `offset`: the line number a resume from there starts after. */
  linesBefore(offset: number): number {
    this.countTo(offset);
    return this.startLineNo + this.newlines;
  }

  /** The line the byte at `offset` is on. */
  lineOfByte(offset: number): number {
    return this.linesBefore(offset) + 1;
  }

  private countTo(offset: number): void {
    while (this.consumed < offset && this.chunks.length > 0) {
      const chunk = this.chunks[0] as Buffer;
      const chunkEnd = this.chunksStart + chunk.length;
      const stop = Math.min(offset, chunkEnd) - this.chunksStart;
      let i = chunk.indexOf(10, this.consumed - this.chunksStart);
      while (i >= 0 && i < stop) {
        this.newlines++;
        i = chunk.indexOf(10, i + 1);
      }
      this.consumed = this.chunksStart + stop;
      if (this.consumed === chunkEnd) {
        this.chunks.shift();
        this.chunksStart = chunkEnd;
      }
    }
  }
}

function lineBreaksIn(fields: string[]): number {
  let n = 0;
  for (const field of fields) {
    for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) n++;
  }
  return n;
}
