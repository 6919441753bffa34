import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface CrashProcess {
  name: string;
  /** Starts the process and resolves once it printed its ready line. */
  start(): Promise<void>;
  /** SIGKILL — no shutdown hooks, no drain, mid-transaction as it may be — and waits for exit. */
  kill(): Promise<void>;
  kills: number;
  starts: number;
  running(): boolean;
}

/**
 * A child process the crash test kills and restarts. `args` run under node
 * from the repository root; stdout and stderr are appended to `logFile`; the
 * process counts as up once a stdout line contains `readyMarker`.
 */
export function createCrashProcess(options: {
  name: string;
  args: string[];
  readyMarker: string;
  logFile: string;
  startTimeoutMs?: number;
}): CrashProcess {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  /** The last output, for the error when a start fails (the log file may be gone by then). */
  let tail = '';
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-3000);
  };
  const self: CrashProcess = {
    name: options.name,
    kills: 0,
    starts: 0,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async start() {
      if (self.running()) throw new Error(`${options.name} is already running`);
      self.starts++;
      log.write(`\n=== start #${self.starts} of ${options.name} ===\n`);
      const proc = spawn(process.execPath, options.args, {
        cwd: REPO,
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      proc.stderr?.on('data', keep);
      await new Promise<void>((resolve, reject) => {
        let buffered = '';
        let ready = false;
        const timer = setTimeout(
          () => reject(new Error(`${options.name} not ready in time; see ${options.logFile}`)),
          options.startTimeoutMs ?? 60_000,
        );
        const onExit = (code: number | null, signal: string | null) => {
          clearTimeout(timer);
          reject(new Error(`${options.name} exited during start (${code ?? signal}):\n${tail}`));
        };
        proc.once('exit', onExit);
        proc.stdout?.on('data', (chunk: Buffer) => {
          keep(chunk);
          if (ready) return;
          buffered += chunk.toString('utf8');
          if (buffered.includes(options.readyMarker)) {
            ready = true;
            clearTimeout(timer);
            proc.off('exit', onExit);
            resolve();
          } else if (buffered.length > 65_536) buffered = buffered.slice(-4096);
        });
      });
    },
    async kill() {
      if (!child) return;
      if (self.running()) {
        child.kill('SIGKILL');
        self.kills++;
      }
      await exited;
      child = undefined;
    },
  };
  return self;
}
