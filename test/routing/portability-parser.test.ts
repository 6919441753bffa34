import { describe, expect, it } from 'vitest';
import {
  loadPortabilitySnapshot,
  PORT_ALL_HEADER,
  type PortabilitySnapshot,
  parsePortabilitySnapshot,
} from '../../src/routing/portability-parser.js';
import { FIXTURES } from './fixture-paths.js';

async function* chunksOf(text: string, size: number): AsyncIterable<Buffer> {
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Number (10 digits) → owner, from the compact arrays. */
function entries(s: PortabilitySnapshot): Record<string, string> {
  const out: Record<string, string> = {};
  s.numbers.forEach((v, i) => {
    const o = s.owners[s.ownerIndexes[i]!]!;
    out[String(9_000_000_000 + v)] = `${o.ownerId}/${o.mnc}`;
  });
  return out;
}

const row = (n: string, owner: string, mnc: string) =>
  `${n},${owner},${mnc},D7701,77,2025-01-20T09:15:00+03:00,0`;

describe('portability snapshot parser', () => {
  it('loads the fixture, skipping bad rows by line and letting the later duplicate win', async () => {
    const snap = await loadPortabilitySnapshot(FIXTURES.portAllSmall);
    expect(entries(snap)).toEqual({
      '9031112233': 'mBEELINE/99',
      '9160000001': 'mUNKNOWN/25',
      '9161234567': 'mMEGAFON/02',
      '9265554433': '/20',
      '9777777777': 'mVIRTUAL/20',
    });
    expect(snap.rejectedRows).toBe(4);
    expect(snap.duplicateRows).toBe(1);
    expect(snap.warnings.map((w) => [w.file, w.line])).toEqual([
      [FIXTURES.portAllSmall, 6],
      [FIXTURES.portAllSmall, 7],
      [FIXTURES.portAllSmall, 8],
      [FIXTURES.portAllSmall, 11],
      [FIXTURES.portAllSmall, 0],
    ]);
    expect(snap.warnings[4]?.message).toMatch(
      /1 rows repeat an earlier number; the later row wins/,
    );
  });

  it('stores numbers sorted ascending whatever the file order', async () => {
    const numbers = ['9990000000', '9000000001', '9500000000', '9000000000'];
    const text = `${PORT_ALL_HEADER}\n${numbers.map((n) => row(n, 'mMTS', '01')).join('\n')}\n`;
    const snap = await parsePortabilitySnapshot(chunksOf(text, 1 << 16), 'p.csv');
    expect([...snap.numbers]).toEqual([0, 1, 500_000_000, 990_000_000]);
  });

  it('gives the same result however the stream is chunked, with CRLF, a BOM and no final newline', async () => {
    const rows = ['9161234567,mMEGAFON,02', '9031112233,mMTS,01', '9161234567,mT2MOBILE,20'].map(
      (r) => `${r},R,77,2025-01-01T00:00:00+03:00,3`,
    );
    const text = `\u00ef\u00bb\u00bf${PORT_ALL_HEADER}\r\n${rows.join('\r\n')}`;
    const expected = { '9031112233': 'mMTS/01', '9161234567': 'mT2MOBILE/20' };
    for (const size of [1, 3, 7, 64, 4096]) {
      const snap = await parsePortabilitySnapshot(chunksOf(text, size), 'p.csv');
      expect(entries(snap)).toEqual(expected);
      expect(snap.warnings.filter((w) => w.line > 0)).toEqual([]);
    }
  });

  it('rejects malformed numbers and owners without quoting the number in the warning', async () => {
    const bad = [
      row('916123456', 'mMTS', '01'), // 9 digits
      row('79161234567', 'mMTS', '01'), // 11 digits
      row('4951234567', 'mMTS', '01'), // landline
      row('91612345a7', 'mMTS', '01'),
      row('9161234567', '', ''), // no owner at all
      row('9161234567', 'mMTS', '1234'),
      '9161234567,mMTS,01,D7701,77,2025-01-20T09:15:00+03:00,0,extra',
    ];
    const snap = await parsePortabilitySnapshot(
      chunksOf(`${PORT_ALL_HEADER}\n${bad.join('\n')}\n`, 100),
      'p.csv',
    );
    expect(snap.numbers.length).toBe(0);
    expect(snap.warnings.filter((w) => w.line > 0).map((w) => w.line)).toEqual([
      2, 3, 4, 5, 6, 7, 8,
    ]);
    for (const w of snap.warnings) expect(w.message).not.toMatch(/\d{7}/);
  });

  it('warns once when RowCount disagrees with the rows present (a truncated download)', async () => {
    const text = `${PORT_ALL_HEADER}\n9161234567,mMTS,01,R,77,2025-01-01T00:00:00+03:00,5\n`;
    const snap = await parsePortabilitySnapshot(chunksOf(text, 1000), 'p.csv');
    expect(snap.numbers.length).toBe(1);
    expect(snap.warnings).toEqual([
      {
        file: 'p.csv',
        line: 0,
        message: expect.stringMatching(/RowCount says 5 rows but the file has 1/),
      },
    ]);
  });

  it('does not compare row counts when RowCount is empty', async () => {
    const text = `${PORT_ALL_HEADER}\n9161234567,mMTS,01,R,77,2025-01-01T00:00:00+03:00,\n`;
    const snap = await parsePortabilitySnapshot(chunksOf(text, 1000), 'p.csv');
    expect(snap.numbers.length).toBe(1);
    expect(snap.warnings).toEqual([]);
  });

  it('refuses a file whose header is not the Port_All layout', async () => {
    const text = 'Number,Owner\n9161234567,mMTS\n';
    await expect(parsePortabilitySnapshot(chunksOf(text, 100), 'p.csv')).rejects.toThrow(
      /p\.csv:1: not a Port_All header/,
    );
  });

  it('reads a file without a header line as data', async () => {
    const snap = await parsePortabilitySnapshot(
      chunksOf(`${row('9161234567', 'mMTS', '01')}\n`, 100),
      'p.csv',
    );
    expect(entries(snap)).toEqual({ '9161234567': 'mMTS/01' });
  });

  it('grows past its initial capacity and keeps every number', async () => {
    const count = 70_000; // initial capacity is 65,536
    const body = Array.from({ length: count }, (_, i) =>
      row(String(9_100_000_000 + (count - i) * 7), 'mMTS', '01'),
    );
    const snap = await parsePortabilitySnapshot(chunksOf(`${body.join('\n')}\n`, 1 << 16), 'p.csv');
    expect(snap.numbers.length).toBe(count);
    expect(snap.numbers[0]).toBe(100_000_007);
    expect(snap.numbers.every((v, i, a) => i === 0 || v > a[i - 1]!)).toBe(true);
  });

  it('reports an unreadable file as INVALID_ARGUMENT naming it', async () => {
    await expect(loadPortabilitySnapshot('/nonexistent/Port_All.csv')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('/nonexistent/Port_All.csv'),
    });
  });
});
