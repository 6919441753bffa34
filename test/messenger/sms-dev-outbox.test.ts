import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { createSequentialIds } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { validateConfig } from '../../src/core/validate-config.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createSmsSender } from '../../src/messenger/sms/create-sms-sender.js';
import { listDevOutbox } from '../../src/messenger/sms/dev-outbox-sender.js';
import { issueCode } from '../../src/messenger/sms/issue-sms-code.js';
import { SmsConfigSchema } from '../../src/messenger/sms/sms-config.js';
import { verifyCode } from '../../src/messenger/sms/verify-sms-code.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';
import { createSmsKit } from './sms-test-kit.js';

const DEV_CONFIG = validateConfig({ sender: 'dev' }, SmsConfigSchema);

describeEachDriver('SMS development outbox', (kind) => {
  let db: Database;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['messenger']);
  });
  afterEach(() => db.close());

  it('keeps sent messages readable newest first, per recipient', async () => {
    const clock = createManualClock('2026-11-28T09:00:00Z');
    const sender = createSmsSender(DEV_CONFIG, {
      db,
      clock,
      ids: createSequentialIds(),
      log: createSilentLogger(),
    });
    const a = await sender.send({ to: '+79161234567', text: 'Your code: 111111', reference: 'r1' });
    clock.advance(1000);
    await sender.send({ to: '+79031112233', text: 'Your code: 222222', reference: 'r2' });
    clock.advance(1000);
    await sender.send({ to: '+79161234567', text: 'Your code: 333333', reference: 'r3' });

    const all = await listDevOutbox(db, { limit: 10 });
    expect(all.map((m) => m.reference)).toEqual(['r3', 'r2', 'r1']);
    const mine = await listDevOutbox(db, { to: '+79161234567', limit: 10 });
    expect(mine.map((m) => m.text)).toEqual(['Your code: 333333', 'Your code: 111111']);
    expect(mine[1]).toMatchObject({ id: a.messageId, createdAt: new Date('2026-11-28T09:00:00Z') });
    expect(await listDevOutbox(db, { limit: 1 })).toHaveLength(1);
  });

  it('delivers a registration code that the sandbox user can read and enter', async () => {
    const kit = createSmsKit();
    const sender = createSmsSender(DEV_CONFIG, {
      db,
      clock: kit.clock,
      ids: createSequentialIds('00000000-0000-7000-9000-'),
      log: kit.deps.log,
    });
    const deps = { ...kit.deps, sender };
    const issued = await issueCode(
      db,
      { msisdn: '+79161234567', callerId: 'sandbox', purpose: 'registration' },
      deps,
    );
    const [message] = await listDevOutbox(db, { to: '+79161234567', limit: 1 });
    expect(message?.reference).toBe(issued.challengeId);
    const code = /\d{6}/.exec(message?.text ?? '')?.[0] ?? '';
    const verified = await verifyCode(
      db,
      { msisdn: '+79161234567', purpose: 'registration', code },
      deps,
    );
    expect(verified.challengeId).toBe(issued.challengeId);
  });
});
