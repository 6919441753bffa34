import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const BIN = resolve('bin/idbridge.js');

/** The test process's environment without a database or idbridge setting, as a newcomer's shell. */
export const cliEnv: Record<string, string | undefined> = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && !k.startsWith('IDBRIDGE_')),
);

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `idbridge ARGS` as a subprocess and returns how it ended, failure included. */
export async function runCli(
  cwd: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...cliEnv, IDBRIDGE_LOG__LEVEL: 'warn', ...extraEnv },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}
