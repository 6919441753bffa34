import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IdbridgeError } from '../core/errors.js';

export const LOCK_FILE = 'idbridge.lock';

/**
 * One process per embedded data directory: PGlite has no locking of its own,
 * so a second process on the same directory opens it too and one of them
 * loses its writes. The lock is a file created exclusively (O_EXCL) holding
 * the owner's PID; a file whose PID no longer runs was left by a killed
 * process and is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder !== undefined && isRunning(holder)) {
        throw new IdbridgeError(
          'CONFIG_INVALID',
          `data directory ${dataDir} is in use by process ${holder}; stop it, or give this one its own directory`,
        );
      }
      // Stale: its process is gone (or the file is unreadable garbage).
      unlinkIfHeldBy(path, holder);
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    const release = () => {
      process.off('exit', release);
      unlinkIfHeldBy(path, process.pid);
    };
    process.on('exit', release);
    return release;
  }
  throw new IdbridgeError(
    'CONFIG_INVALID',
    `data directory ${dataDir}: another process took its lock at the same moment`,
  );
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlinkIfHeldBy(path: string, pid: number | undefined): void {
  if (readHolder(path) !== pid) return;
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
