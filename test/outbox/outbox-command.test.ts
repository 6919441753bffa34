import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { registerOutboxCommand, runOutboxCommand } from '../../src/cli/commands/outbox-command.js';
import { createManualClock } from '../../src/core/clock.js';
import { migrate } from '../../src/db/migrator.js';
import { openDatabase } from '../../src/db/open-database.js';
import {
  claimDueBatch,
  enqueueOutbox,
  markFailed,
  markRejected,
} from '../../src/outbox/outbox-store.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';
import { createOutboxFixture, notice, type OutboxFixture } from './outbox-fixture.js';

describeEachDriver('idbridge outbox command', (kind) => {
  let f: OutboxFixture;
  let failing: string;
  let rejected: string;
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
    const ids = await f.enqueue([notice('tamtam', 1), notice('tamtam', 2), notice('vk', 3)]);
    failing = ids[0]!;
    rejected = ids[1]!;
    await claimDueBatch(f.db, {
      workerId: 'w',
      leaseMs: 1_000,
      now: f.clock.now(),
      kinds: ['notice'],
    });
    await markFailed(f.db, [failing], 'w', 'HTTP 503 from +79161234567 gateway', f.clock.now());
    await markRejected(f.db, [rejected], 'w', 'UNKNOWN_CODE', f.clock.now());
  });
  afterEach(() => f.db.close());

  const run = (sub: 'status' | 'inspect' | 'retry', opts = {}) =>
    runOutboxCommand(f.db, sub, opts, f.clock);

  it('status prints the backlog per partner as a table, or as JSON', async () => {
    const text = await run('status');
    const [header, tamtam, vk] = text.split('\n');
    expect(header).toMatch(/^PARTNER\s+KIND\s+PENDING\s+DUE\s+FAILING/);
    expect(tamtam).toMatch(/^tamtam\s+notice\s+1\s+0\s+1\s+0\s+1\s/);
    expect(vk).toMatch(/^vk\s+notice\s+1\s+1\s+0\s+0\s+0\s/);
    const json = JSON.parse(await run('status', { json: true, partner: 'vk' }));
    expect(json).toEqual([expect.objectContaining({ partnerId: 'vk', pending: 1, due: 1 })]);
  });

  it('inspect lists failing items with their last error, phone numbers masked', async () => {
    const text = await run('inspect', { state: 'failing' });
    expect(text).toContain(failing);
    expect(text).toContain('HTTP 503');
    expect(text).not.toContain('79161234567');
    expect(text).not.toContain(rejected);
    await expect(run('inspect', { state: 'lost' })).rejects.toThrow(/--state must be one of/);
  });

  it('retry makes failing items due now and reopens named rejected ones', async () => {
    expect(await run('retry', { partner: 'tamtam' })).toBe('1 item(s) due for delivery now');
    expect((await f.row(failing)).nextAttemptAt).toEqual(f.clock.now());
    expect(JSON.parse(await run('retry', { id: [rejected], json: true }))).toEqual({ retried: 1 });
    expect((await f.row(rejected)).state).toBe('pending');
    await expect(run('retry', {})).rejects.toThrow(/--partner/);
  });

  it('tells the user to migrate when the outbox table is missing', async () => {
    const bare = await createTestDatabase(kind);
    try {
      await expect(runOutboxCommand(bare, 'status', {}, createManualClock())).rejects.toThrow(
        /idbridge migrate/,
      );
    } finally {
      await bare.close();
    }
  });

  it('is wired to commander: options parsed, database opened from the config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-outbox-cli-'));
    const database =
      kind === 'postgres'
        ? { url: process.env.DATABASE_URL, schema: f.db.schema }
        : { dataDir: join(dir, 'data'), schema: 'cli_test' };
    if (kind === 'pglite') {
      vi.stubEnv('DATABASE_URL', ''); // the file decides the driver
      const db = await openDatabase({ dataDir: database.dataDir ?? '', schema: 'cli_test' });
      await migrate(db, ['shared']);
      await db.transaction((tx) =>
        enqueueOutbox(tx, [notice('tamtam', 1)], { now: new Date(), newId: f.newId }),
      );
      await db.close();
    }
    const configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify({ database, log: { level: 'silent' } }));
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
    try {
      const program = new Command().exitOverride();
      registerOutboxCommand(program);
      await program.parseAsync(
        ['outbox', 'status', '--config', configFile, '--partner', 'tamtam', '--json'],
        { from: 'user' },
      );
      expect(JSON.parse(printed.join('\n'))).toEqual([
        expect.objectContaining({ partnerId: 'tamtam', kind: 'notice' }),
      ]);
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
