import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LineBatch, readLineBatches } from './read-line-batches.js';

const dir = mkdtempSync(join(tmpdir(), 'idbridge-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(file: string, startOffset = 0, startLineNo = 0): Promise<LineBatch[]> {
  const out: LineBatch[] = [];
  for await (const b of readLineBatches(file, { startOffset, startLineNo, batchSize: 2 })) {
    out.push(b);
  }
  return out;
}

describe('readLineBatches', () => {
  it('yields batches with byte offsets that resume exactly after the batch', async () => {
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'héllo\r\nb\n\nd\ne');
    const batches = await collect(file);
    expect(batches.map((b) => [b.firstLineNo, b.lines, b.lastLineNo])).toEqual([
      [1, ['héllo', 'b'], 2],
      [3, ['', 'd'], 4],
      [5, ['e'], 5],
    ]);
    // 'héllo\r\n' is 8 bytes (é is two), 'b\n' 2.
    expect(batches[0]?.endOffset).toBe(10);
    const resumed = await collect(file, 10, 2);
    expect(resumed.map((b) => [b.firstLineNo, b.lines])).toEqual([
      [3, ['', 'd']],
      [5, ['e']],
    ]);
  });

  it('handles lines longer than the read buffer', async () => {
    const file = join(dir, 'long.txt');
    const long = 'x'.repeat(3 << 20);
    writeFileSync(file, `${long}\nshort\n`);
    const batches = await collect(file);
    expect(batches[0]?.lines.map((l) => l.length)).toEqual([long.length, 5]);
    expect(batches[0]?.endOffset).toBe(long.length + 7);
  });
});
