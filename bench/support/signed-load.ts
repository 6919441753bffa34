import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { MessengerIdentity } from './bench-operator-node.js';
import type { ConcurrentRun } from './run-concurrent.js';

/** One measured burst of signed requests, run by the load client process. */
export type LoadJob =
  | (LoadTarget & { kind: 'identify'; concurrency: number; tag: string; subscribers: number[] })
  | (LoadTarget & {
      kind: 'batch';
      concurrency: number;
      tag: string;
      batches: number[][];
      userSince: string;
    });

export interface LoadTarget {
  /** When set, the client process profiles the job and writes this `.cpuprofile`. */
  profileFile?: string | undefined;
  partnerUrl: string;
  operatorId: string;
  messenger: MessengerIdentity;
}

export interface LoadResult extends ConcurrentRun {
  /** CPU the load client process spent on the burst (signing, verifying, HTTP). */
  clientCpuMs: number;
  /** HTTP status → count. */
  statuses: Record<string, number>;
  /** `confirmed` or `not_confirmed:REASON` → count (per item for batches). */
  results: Record<string, number>;
}

/**
 * The messenger side of the HTTP benchmarks, in its own process so that its
 * signing and verifying do not run on the node's event loop (a real messenger
 * is elsewhere; on this shared 2-core machine it still competes for CPU, and
 * `clientCpuMs` says how much). The process stays up between jobs so its
 * keep-alive connections and JIT warm-up carry over, as a real client's would.
 */
export interface SignedLoadClient {
  run(job: LoadJob): Promise<LoadResult>;
  close(): Promise<void>;
}

export function startSignedLoadClient(): SignedLoadClient {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./signed-load-client.ts', import.meta.url)),
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
      const answer = new Promise<LoadResult>((resolve, reject) => {
        const onExit = (code: number | null) =>
          reject(new Error(`load client exited (code ${code}) during a job`));
        child.once('exit', onExit);
        child.once('message', (message) => {
          child.off('exit', onExit);
          const m = message as { ok: true; result: LoadResult } | { ok: false; error: string };
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
