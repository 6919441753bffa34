import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';

export interface FileIdentity {
  fileSize: number;
  /** SHA-256 (hex) of the first MiB. */
  headHash: string;
}

const HEAD_BYTES = 1 << 20;

/**
 * What makes "the same file" for resuming an import (subscriber or legacy-user file): its size and the hash of
 * its first MiB. Cheap on a multi-GB file, independent of path and mtime (a
 * copied or moved file resumes), and a file that grew or was regenerated
 * is a new import.
 */
export async function identifyFile(file: string): Promise<FileIdentity> {
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
