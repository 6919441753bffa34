import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLineBatches } from './read-line-batches.js';
import type { RecordBatch } from './record-batch.js';

const dir = mkdtempSync(join(tmpdir(), 'idbridge-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(file: string, startOffset = 0, startLineNo = 0) {
  const out: RecordBatch<string>[] = [];
  for await (const b of readLineBatches(file, { startOffset, startLineNo, batchSize: 2 })) {
    out.push(b);
  }
  return out;
}

describe('readLineBatches', () => {
  it('yields non-blank lines in batches whose offsets resume exactly after them', async () => {
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'héllo\r\nb\n\nd\ne');
    const batches = await collect(file);
    expect(batches.map((b) => [b.records, b.lastLineNo])).toEqual([
      [
        [
          { lineNo: 1, value: 'héllo' },
          { lineNo: 2, value: 'b' },
        ],
        2,
      ],
      [
        [
          { lineNo: 4, value: 'd' },
          { lineNo: 5, value: 'e' },
        ],
        5,
      ],
    ]);
    // 'héllo\r\n' is 8 bytes (é is two), 'b\n' 2.
    expect(batches[0]?.endOffset).toBe(10);
    const resumed = await collect(file, 10, 2);
    expect(resumed.flatMap((b) => b.records.map((r) => r.lineNo))).toEqual([4, 5]);
  });

  it('handles lines longer than the read buffer', async () => {
    const file = join(dir, 'long.txt');
    const long = 'x'.repeat(3 << 20);
    writeFileSync(file, `${long}\nshort\n`);
    const batches = await collect(file);
    expect(batches[0]?.records.map((r) => r.value.length)).toEqual([long.length, 5]);
    expect(batches[0]?.endOffset).toBe(long.length + 7);
  });
});
