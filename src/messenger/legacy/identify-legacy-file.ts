import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { LegacyFileIdentity } from './legacy-import-store.js';

const HEAD_BYTES = 1 << 20;

/**
 * "The same file" for resuming an import: its size and the SHA-256 of its
 * first MiB — cheap on a multi-GB file, independent of path and mtime, and a
 * regenerated file is a new import.
 */
export async function identifyLegacyFile(file: string): Promise<LegacyFileIdentity> {
  const { size } = await stat(file);
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    let filled = 0;
    while (filled < head.length) {
      const { bytesRead } = await handle.read(head, filled, head.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return {
      fileSize: size,
      headHash: createHash('sha256').update(head.subarray(0, filled)).digest('hex'),
    };
  } finally {
    await handle.close();
  }
}
