import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ConcurrentRun } from './run-concurrent.js';

interface AppTarget {
  /** The messenger's app API, e.g. `http://127.0.0.1:41234`. */
  appUrl: string;
  token: string;
  /** When set, the client process profiles the job and writes this `.cpuprofile`. */
  profileFile?: string | undefined;
}

/** One measured burst against the messenger's app API, run by the load client process. */
export type MessengerLoadJob =
  | (AppTarget & {
      /**
       * Closed loop for `durationMs`: `connections` keep-alive connections,
       * each sending GET /app/v1/users/:id/permission for a user drawn
       * uniformly from [0, userCount) (messenger-users.ts ids) as soon as
       * the previous answer arrived.
       */
      kind: 'permission';
      userCount: number;
      connections: number;
      durationMs: number;
    })
  | (AppTarget & {
      /**
       * One registration per phone, `concurrency` at a time: POST
       * /app/v1/registrations → the code from the dev SMS outbox → POST
       * /app/v1/registrations/confirm → (while pending) GET /app/v1/users/:id
       * until the user is identified or not.
       */
      kind: 'register';
      phones: string[];
      concurrency: number;
    });

export interface MessengerLoadResult extends ConcurrentRun {
  /** CPU the load client process spent on the burst (HTTP, JSON). */
  clientCpuMs: number;
  /** HTTP status → count. */
  statuses: Record<string, number>;
  /** Permission: `maySend:true|false` → count; registration: final user state → count. */
  outcomes: Record<string, number>;
  /** Registration: total milliseconds spent in each step, over all registrations. */
  stepMs: Record<string, number>;
}

/**
 * The messenger's backend, in its own process so that its HTTP work does not
 * run on the node's event loop (on this shared 2-core machine it still
 * competes for CPU, and `clientCpuMs` says how much). The process stays up
 * between jobs so keep-alive connections and JIT warm-up carry over.
 */
export interface MessengerLoadClient {
  run(job: MessengerLoadJob): Promise<MessengerLoadResult>;
  close(): Promise<void>;
}

export function startMessengerLoadClient(): MessengerLoadClient {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./messenger-load-client.ts', import.meta.url)),
    [],
    { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: 'inherit' },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  return {
    async run(job) {
      if (exited) throw new Error('the load client process has exited');
      const answer = new Promise<MessengerLoadResult>((resolve, reject) => {
        const onExit = (code: number | null) =>
          reject(new Error(`load client exited (code ${code}) during a job`));
        child.once('exit', onExit);
        child.once('message', (message) => {
          child.off('exit', onExit);
          const m = message as
            | { ok: true; result: MessengerLoadResult }
            | { ok: false; error: string };
          if (m.ok) resolve(m.result);
          else reject(new Error(`load client failed: ${m.error}`));
        });
      });
      child.send(job);
      return answer;
    },
    async close() {
      if (exited) return;
      const gone = once(child, 'exit');
      child.disconnect();
      await gone;
    },
  };
}
