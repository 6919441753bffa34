import { systemClock } from '../../src/core/clock.js';
import { createPartnerClient, type PartnerClient } from '../../src/protocol/http/partner-client.js';
import { BATCH_ANSWERS, IDENTIFY_ANSWERS } from '../../src/protocol/schemas/index.js';
import { createKeyResolver, createSigner } from '../../src/protocol/signatures/index.js';
import { startCpuProfile } from './cpu-profile.js';
import { batchBody, identificationBody } from './identification-bodies.js';
import { runConcurrent } from './run-concurrent.js';
import type { LoadJob, LoadResult } from './signed-load.js';

// Child-process entry of `startSignedLoadClient` (signed-load.ts): runs one
// job per IPC message and answers with its figures. Exits when the parent
// disconnects.

function clientsFor(job: LoadJob): PartnerClient[] {
  const signer = createSigner(job.messenger.privateJwk);
  const resolveKey = createKeyResolver(
    job.messenger.participants.filter((p) => p.id !== job.messenger.id),
  );
  // One client per concurrent worker, as a messenger's request handlers would
  // each hold one; fetch's global keep-alive pool is shared, as in a real process.
  return Array.from({ length: job.concurrency }, () =>
    createPartnerClient({ signer, resolveKey, clock: systemClock, retries: 0 }),
  );
}

const count = (tally: Record<string, number>, key: string, n = 1) => {
  tally[key] = (tally[key] ?? 0) + n;
};

async function runJob(job: LoadJob): Promise<LoadResult> {
  const clients = clientsFor(job);
  const statuses: Record<string, number> = {};
  const results: Record<string, number> = {};
  const target = {
    participantId: job.operatorId,
    baseUrl: job.partnerUrl,
    method: 'POST' as const,
  };
  // Batch bodies are built before timing, as a client builds them before sending.
  const bodies =
    job.kind === 'batch' ? job.batches.map((b) => batchBody(job.tag, b, job.userSince)) : [];
  const stopProfile = job.profileFile ? await startCpuProfile(job.profileFile) : undefined;
  const cpu0 = process.cpuUsage();
  let run: Awaited<ReturnType<typeof runConcurrent>>;
  if (job.kind === 'identify') {
    run = await runConcurrent(job.subscribers, job.concurrency, async (i, w) => {
      const res = await (clients[w] as PartnerClient).send({
        ...target,
        path: '/v1/identifications',
        answers: IDENTIFY_ANSWERS,
        body: identificationBody(job.tag, i),
      });
      count(statuses, String(res.status));
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${JSON.stringify(res.error)}`);
      const a = res.body;
      count(results, a.result === 'not_confirmed' ? `not_confirmed:${a.reason}` : a.result);
    });
  } else {
    run = await runConcurrent(bodies, job.concurrency, async (body, w) => {
      const res = await (clients[w] as PartnerClient).send({
        ...target,
        path: '/v1/identifications/batch',
        answers: BATCH_ANSWERS,
        body,
      });
      count(statuses, String(res.status));
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${JSON.stringify(res.error)}`);
      for (const r of res.body.results) {
        count(results, r.result === 'not_confirmed' ? `not_confirmed:${r.reason}` : r.result);
      }
    });
  }
  const cpu = process.cpuUsage(cpu0);
  await stopProfile?.();
  return { ...run, clientCpuMs: (cpu.user + cpu.system) / 1000, statuses, results };
}

process.on('message', (job: LoadJob) => {
  runJob(job).then(
    (result) => process.send?.({ ok: true, result }),
    (err: unknown) =>
      process.send?.({ ok: false, error: err instanceof Error ? err.stack : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
