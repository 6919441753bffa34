import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname } from 'node:path';

/**
 * Profiles this process's CPU until the returned function is called, then
 * writes a `.cpuprofile` (open in Chrome DevTools or summarize with
 * `npx tsx bench/support/summarize-cpu-profile.ts FILE`). Used to profile just
 * the measured part of a benchmark, not its set-up.
 */
export async function startCpuProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    // The directory named by --cpu-prof-dir need not exist yet.
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
