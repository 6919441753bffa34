import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = resolve('bin/idbridge.js');
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && !k.startsWith('IDBRIDGE_')),
);

interface Started {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function sandbox(dataDir: string, port: number, ...extra: string[]): Started {
  const proc = spawn(
    process.execPath,
    [
      BIN,
      'sandbox',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--subscribers',
      '100',
      ...extra,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  proc.stdout?.on('data', (c: Buffer) => {
    text += c.toString();
  });
  proc.stderr?.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const exited = new Promise<number | null>((done) => proc.on('exit', (code) => done(code)));
  return { proc, output: () => text, exited };
}

async function ready(s: Started): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!/ready in/.test(s.output())) {
    if (s.proc.exitCode !== null) throw new Error(`sandbox exited: ${JSON.stringify(s.output())}`);
    if (Date.now() > deadline) throw new Error(`sandbox not ready: ${s.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Two processes on one embedded data directory lost writes silently (issue 23
 * item 3). The second is refused, naming the directory and the holder's PID;
 * a lock left by a SIGKILLed holder is stale and taken over.
 */
describe('one process per embedded data directory', () => {
  const running: Started[] = [];
  afterAll(() => {
    for (const s of running) s.proc.kill('SIGKILL');
  });

  it('refuses a second sandbox and a --reset while one runs; takes over after SIGKILL', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'idbridge-lock-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const first = sandbox(dataDir, port);
    running.push(first);
    await ready(first);

    const second = sandbox(dataDir, port + 50);
    running.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `data directory ${dataDir} is in use by process ${first.proc.pid}`,
    );
    expect(second.output()).not.toMatch(/^\s+at /m);

    const reset = sandbox(dataDir, port + 100, '--reset');
    running.push(reset);
    expect(await reset.exited).toBe(1);
    expect(reset.output()).toContain(`is in use by process ${first.proc.pid}`);
    expect(existsSync(join(dataDir, 'db'))).toBe(true);

    first.proc.kill('SIGKILL');
    await first.exited;
    const third = sandbox(dataDir, port + 150);
    running.push(third);
    await ready(third);
    third.proc.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    // A clean stop removes its lock.
    expect(existsSync(join(dataDir, 'idbridge.lock'))).toBe(false);
  }, 240_000);
});
