import { createReadStream } from 'node:fs';

export interface LineChunk {
  /** Physical line number (1-based) of `lines[0]`. */
  firstLineNo: number;
  lines: string[];
  /** Byte offset just past the chunk's last line: where a resume starts. */
  endOffset: number;
  lastLineNo: number;
}

/**
 * Streams `file` from a byte offset as chunks of up to `chunkLines` lines,
 * with exact offsets for resuming. Memory: one read buffer plus one chunk;
 * nothing is read ahead while the consumer works on a chunk (the async
 * iterator pulls the stream). LF ends a line, a trailing CR is dropped, a last
 * line without LF still counts.
 */
export async function* readFileLines(
  file: string,
  from: { offset: number; lineNo: number; chunkLines: number },
): AsyncGenerator<LineChunk> {
  const stream = createReadStream(file, { start: from.offset, highWaterMark: 1 << 20 });
  let offset = from.offset;
  let lineNo = from.lineNo;
  let rest: Buffer | null = null;
  let chunk = emptyChunk(lineNo, offset);
  const push = (buf: Buffer, start: number, end: number, consumed: number) => {
    const stop = end > start && buf[end - 1] === 13 ? end - 1 : end;
    lineNo += 1;
    offset += consumed;
    chunk.lines.push(buf.toString('utf8', start, stop));
    chunk.endOffset = offset;
    chunk.lastLineNo = lineNo;
  };
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = rest ? Buffer.concat([rest, piece]) : piece;
    rest = null;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      push(buf, start, nl, nl + 1 - start);
      start = nl + 1;
      if (chunk.lines.length >= from.chunkLines) {
        yield chunk;
        chunk = emptyChunk(lineNo, offset);
      }
    }
    if (start < buf.length) rest = buf.subarray(start);
  }
  if (rest && rest.length > 0) push(rest, 0, rest.length, rest.length);
  if (chunk.lines.length > 0) yield chunk;
}

function emptyChunk(lineNo: number, offset: number): LineChunk {
  return { firstLineNo: lineNo + 1, lines: [], endOffset: offset, lastLineNo: lineNo };
}
