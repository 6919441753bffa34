import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { createNumberHasher } from '../../src/core/number-hash.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { decideIdentification } from '../../src/operator/identification/decide-identification.js';
import { listEntriesOfNumber } from '../../src/operator/register/register-store.js';
import { OPERATOR_MIGRATION_SETS } from '../../src/operator/start-operator-node.js';
import { importSubscribers } from '../../src/operator/subscribers/import-subscribers.js';
import { inspectOutbox } from '../../src/outbox/index.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

describeEachDriver('a subscriber file that ends contracts notifies the messengers (R7)', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, OPERATOR_MIGRATION_SETS);
  });
  afterEach(() => db.close());

  async function importCsv(lines: string[]) {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-import-'));
    const file = join(dir, 'subscribers.csv');
    await writeFile(
      file,
      `msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd\n${lines.join('\n')}\n`,
    );
    return importSubscribers({
      db,
      file,
      clock,
      log: createSilentLogger(),
      ids: newId,
    });
  }

  it('closes the register entries of a contract the file ends and writes one notice per messenger', async () => {
    await importCsv(['+79160000001,C-1,individual,true,2020-01-01T00:00:00Z,']);
    for (const messengerId of ['tamtam', 'other']) {
      await db.transaction((tx) =>
        decideIdentification(
          tx,
          { ids: newId, hashNumber: createNumberHasher('k'.repeat(16)), slowPathEnabled: false },
          {
            messengerId,
            receivedAt: clock.now(),
            request: {
              requestId: newId(),
              msisdn: '+79160000001',
              identificationCode: `code-of-${messengerId}-0000`,
              purpose: 'registration',
              possessionVerifiedAt: clock.now().toISOString(),
            },
          },
        ),
      );
    }
    await importCsv(['+79160000001,C-1,individual,true,2020-01-01T00:00:00Z,2026-11-28T08:00:00Z']);
    const notices = (await inspectOutbox(db, { includePayload: true })).filter(
      (r) => r.kind === 'notice',
    );
    expect(notices.map((r) => r.partnerId).sort()).toEqual(['other', 'tamtam']);
    expect(notices[0]?.payload).toMatchObject({
      type: 'contract_terminated',
      occurredAt: '2026-11-28T08:00:00.000Z',
      dueBy: '2026-11-29T08:00:00.000Z',
    });
    // The event's time travels on the row: delays are measured from it, not from due_by.
    const events = await db.query<{ event_at: Date }>(
      "SELECT event_at FROM outbox WHERE kind = 'notice'",
    );
    expect(events.rows.map((r) => r.event_at.toISOString())).toEqual([
      '2026-11-28T08:00:00.000Z',
      '2026-11-28T08:00:00.000Z',
    ]);
    const entries = await listEntriesOfNumber(db, '+79160000001');
    expect(entries.every((e) => e.closeReason === 'contract_terminated')).toBe(true);
    // The same file again changes nothing and notifies no one twice.
    await importCsv(['+79160000001,C-1,individual,true,2020-01-01T00:00:00Z,2026-11-28T08:00:00Z']);
    expect((await inspectOutbox(db, {})).filter((r) => r.kind === 'notice')).toHaveLength(2);
  });
});
