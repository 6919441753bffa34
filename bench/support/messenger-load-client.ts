import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { startCpuProfile } from './cpu-profile.js';
import type { MessengerLoadJob, MessengerLoadResult } from './messenger-load.js';
import { benchUserId } from './messenger-users.js';
import { type ConcurrentRun, runConcurrent } from './run-concurrent.js';

// Child-process entry of `startMessengerLoadClient` (messenger-load.ts): runs
// one job per IPC message over an undici keep-alive pool and answers with its
// figures. Exits when the parent disconnects.

const count = (tally: Record<string, number>, key: string, n = 1) => {
  tally[key] = (tally[key] ?? 0) + n;
};

const pools = new Map<string, Pool>();
/** One pool per target and size, kept between jobs as a real backend keeps its connections. */
function poolFor(appUrl: string, connections: number): Pool {
  const key = `${appUrl} ${connections}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(appUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    pools.set(key, pool);
  }
  return pool;
}

type Tallies = Pick<MessengerLoadResult, 'statuses' | 'outcomes' | 'stepMs'>;

async function runPermission(
  job: Extract<MessengerLoadJob, { kind: 'permission' }>,
  t: Tallies,
): Promise<ConcurrentRun> {
  const pool = poolFor(job.appUrl, job.connections);
  const headers = { authorization: `Bearer ${job.token}` };
  const latenciesMs: number[] = [];
  const firstErrors: string[] = [];
  let failures = 0;
  const started = performance.now();
  const end = started + job.durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const path = `/app/v1/users/${benchUserId(Math.floor(Math.random() * job.userCount))}/permission`;
      const t0 = performance.now();
      try {
        const res = await pool.request({ path, method: 'GET', headers });
        const text = await res.body.text();
        count(t.statuses, String(res.statusCode));
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text}`);
        latenciesMs.push(performance.now() - t0);
        // Cheaper than JSON.parse on the client's core; the body is a fixed shape.
        count(t.outcomes, text.includes('"maySend":true') ? 'maySend:true' : 'maySend:false');
      } catch (err) {
        failures++;
        if (firstErrors.length < 5)
          firstErrors.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, worker));
  return { latenciesMs, elapsedMs: performance.now() - started, failures, firstErrors };
}

async function call<T>(
  pool: Pool,
  t: Tallies,
  step: string,
  method: 'GET' | 'POST',
  path: string,
  token: string,
  body?: unknown,
): Promise<T> {
  const t0 = performance.now();
  const res = await pool.request({
    path,
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  count(t.stepMs, step, performance.now() - t0);
  count(t.statuses, String(res.statusCode));
  if (res.statusCode >= 300) throw new Error(`${step}: HTTP ${res.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}

interface UserView {
  userId: string;
  state: string;
}

async function runRegister(job: Extract<MessengerLoadJob, { kind: 'register' }>, t: Tallies) {
  const pool = poolFor(job.appUrl, job.concurrency);
  return runConcurrent(job.phones, job.concurrency, async (phone) => {
    const issued = await call<{ challengeId: string }>(
      pool,
      t,
      'sendCode',
      'POST',
      '/app/v1/registrations',
      job.token,
      { phone },
    );
    // The "SMS": the development sender's outbox, as the sandbox's inbox shows it.
    const inbox = await call<{ messages: Array<{ text: string; reference: string }> }>(
      pool,
      t,
      'readSms',
      'GET',
      `/app/v1/dev/sms-outbox?phone=${encodeURIComponent(phone)}&limit=1`,
      job.token,
    );
    const sms = inbox.messages[0];
    const code = sms?.reference === issued.challengeId ? /\d{4,10}/.exec(sms.text)?.[0] : undefined;
    if (!code) throw new Error('no SMS with the code in the dev outbox');
    let { user } = await call<{ user: UserView }>(
      pool,
      t,
      'confirm',
      'POST',
      '/app/v1/registrations/confirm',
      job.token,
      { phone, code, challengeId: issued.challengeId },
    );
    // A 202 from the operator leaves the user pending until the callback.
    const deadline = performance.now() + 30_000;
    while (user.state === 'pending_identification' && performance.now() < deadline) {
      await sleep(20);
      user = await call<UserView>(
        pool,
        t,
        'poll',
        'GET',
        `/app/v1/users/${user.userId}`,
        job.token,
      );
    }
    count(t.outcomes, user.state);
    if (user.state !== 'identified') throw new Error(`registration ended ${user.state}`);
  });
}

async function runJob(job: MessengerLoadJob): Promise<MessengerLoadResult> {
  const t: Tallies = { statuses: {}, outcomes: {}, stepMs: {} };
  const stopProfile = job.profileFile ? await startCpuProfile(job.profileFile) : undefined;
  const cpu0 = process.cpuUsage();
  const run = job.kind === 'permission' ? await runPermission(job, t) : await runRegister(job, t);
  const cpu = process.cpuUsage(cpu0);
  await stopProfile?.();
  return { ...run, ...t, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

process.on('message', (job: MessengerLoadJob) => {
  runJob(job).then(
    (result) => process.send?.({ ok: true, result }),
    (err: unknown) =>
      process.send?.({ ok: false, error: err instanceof Error ? err.stack : String(err) }),
  );
});
process.on('disconnect', () => {
  for (const pool of pools.values()) void pool.close();
  process.exit(0);
});
