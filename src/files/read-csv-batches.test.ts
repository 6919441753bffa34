import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvBatches, readCsvHeader } from './read-csv-batches.js';

const dir = mkdtempSync(join(tmpdir(), 'idbridge-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(file: string, startOffset = 0, startLineNo = 0, batchSize = 2) {
  const out = [];
  for await (const b of readCsvBatches(file, { startOffset, startLineNo, batchSize })) out.push(b);
  return out;
}

describe('readCsvBatches', () => {
  // A BOM, a quoted field holding a line break and a comma, a blank line,
  // CRLF and LF endings, a doubled quote, no newline at the end.
  const text = '\uFEFFa,b\n1,"x\ny, z"\n\n2,w\r\n3,"q""r"';

  it('reads quoted line breaks, names the line each record starts on, and resumes exactly', async () => {
    const file = join(dir, 'a.csv');
    writeFileSync(file, text);
    const batches = await collect(file);
    expect(batches.map((b) => b.records)).toEqual([
      [
        { lineNo: 1, value: ['a', 'b'] },
        { lineNo: 2, value: ['1', 'x\ny, z'] },
      ],
      [
        { lineNo: 5, value: ['2', 'w'] },
        { lineNo: 6, value: ['3', 'q"r'] },
      ],
    ]);
    expect(batches[0]?.lastLineNo).toBe(3);
    expect(batches[1]?.endOffset).toBe(statSync(file).size);
    const first = batches[0] as (typeof batches)[number];
    const resumed = await collect(file, first.endOffset, first.lastLineNo);
    expect(resumed.flatMap((b) => b.records)).toEqual(batches[1]?.records);
  });

  it('counts a CRLF inside a quoted field as one line break', async () => {
    const file = join(dir, 'crlf.csv');
    writeFileSync(file, 'a,b\r\n1,"x\r\ny"\r\n2,z\r\n');
    const batches = await collect(file, 0, 0, 10);
    expect(batches[0]?.records.map((r) => [r.lineNo, r.value])).toEqual([
      [1, ['a', 'b']],
      [2, ['1', 'x\r\ny']],
      [4, ['2', 'z']],
    ]);
    expect(batches[0]?.lastLineNo).toBe(4);
  });

  it('reads the header and where the data after it starts', async () => {
    const file = join(dir, 'h.csv');
    writeFileSync(file, text);
    expect(await readCsvHeader(file)).toEqual({ fields: ['a', 'b'], endOffset: 7, lineNo: 1 });
    writeFileSync(join(dir, 'empty.csv'), '\n\n');
    expect(await readCsvHeader(join(dir, 'empty.csv'))).toBeNull();
  });

  it('reads another delimiter with the delimiter inside a quoted field', async () => {
    const file = join(dir, 'semi.csv');
    writeFileSync(file, 'code;name\n900;"ООО ""Рога; Копыта"""\n');
    const options = { startOffset: 0, startLineNo: 0, batchSize: 10, delimiter: ';' };
    const records = [];
    for await (const b of readCsvBatches(file, options)) records.push(...b.records);
    expect(records[1]?.value).toEqual(['900', 'ООО "Рога; Копыта"']);
  });

  it('fails, not hangs, on a file it cannot read', async () => {
    await expect(collect(join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['an unclosed quote', 'a,b\n1,2\n3,"open\n4,5\n', /:3: a quoted field is never closed/],
    ['text after a closing quote', 'a,b\n1,"x"y\n', /:2: a closing quote is followed by/],
  ])('refuses a file with %s, naming the line', async (_case, content, message) => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, content);
    await expect(collect(file)).rejects.toThrow(message);
  });
});
