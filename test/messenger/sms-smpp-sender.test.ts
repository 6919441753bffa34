import type { AddressInfo } from 'node:net';
import smpp from 'smpp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSilentLogger } from '../../src/core/logger.js';
import { validateConfig } from '../../src/core/validate-config.js';
import { createSmppSender, type SmppSender } from '../../src/messenger/sms/smpp-sender.js';
import { SmsConfigSchema } from '../../src/messenger/sms/sms-config.js';
import type { DeliveryReceipt } from '../../src/messenger/sms/sms-sender.js';

/**
 * A small SMSC built on the same package's server side, on a loopback port:
 * checks credentials, records submit_sm, answers enquire_link (unless told to
 * stay silent) and can send delivery receipts back.
 */
interface FakeSmsc {
  port: number;
  binds: Array<{ systemId: string; accepted: boolean }>;
  submitted: smpp.Pdu[];
  enquireLinks: number;
  silent: boolean;
  refuseDestination: string | undefined;
  sessions: smpp.Session[];
  /** Resolves on the next event of that name seen by the SMSC. */
  next(event: 'bind' | 'submit' | 'enquire_link'): Promise<void>;
  close(): Promise<void>;
}

async function startFakeSmsc(): Promise<FakeSmsc> {
  const waiting = new Map<string, Array<() => void>>();
  const notify = (event: string) => {
    for (const resolve of waiting.get(event) ?? []) resolve();
    waiting.delete(event);
  };
  const smsc: FakeSmsc = {
    port: 0,
    binds: [],
    submitted: [],
    enquireLinks: 0,
    silent: false,
    refuseDestination: undefined,
    sessions: [],
    next: (event) =>
      new Promise((resolve) => waiting.set(event, [...(waiting.get(event) ?? []), resolve])),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of smsc.sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = smpp.createServer((session) => {
    session.on('error', () => {});
    session.on('bind_transceiver', (pdu: smpp.Pdu) => {
      const accepted = pdu.system_id === 'idbridge' && pdu.password === 's3cret';
      smsc.binds.push({ systemId: String(pdu.system_id), accepted });
      if (!accepted) {
        session.send(pdu.response({ command_status: smpp.errors.ESME_RINVPASWD }));
        session.close();
      } else {
        session.send(pdu.response({ system_id: 'fake-smsc' }));
        smsc.sessions.push(session);
      }
      notify('bind');
    });
    session.on('submit_sm', (pdu: smpp.Pdu) => {
      smsc.submitted.push(pdu);
      if (pdu.destination_addr === smsc.refuseDestination) {
        session.send(pdu.response({ command_status: smpp.errors.ESME_RINVDSTADR }));
      } else {
        session.send(pdu.response({ message_id: `smsc-${smsc.submitted.length}` }));
      }
      notify('submit');
    });
    session.on('enquire_link', (pdu: smpp.Pdu) => {
      smsc.enquireLinks += 1;
      if (!smsc.silent) session.send(pdu.response());
      notify('enquire_link');
    });
    session.on('unbind', (pdu: smpp.Pdu) => {
      session.send(pdu.response());
      session.close();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  smsc.port = (server.address() as AddressInfo).port;
  return smsc;
}

function smppConfig(port: number, overrides: Record<string, unknown> = {}) {
  return validateConfig(
    {
      sender: 'smpp',
      smpp: {
        host: '127.0.0.1',
        port,
        systemId: 'idbridge',
        password: 's3cret',
        sourceAddr: 'idbridge',
        reconnectInitialDelayMs: 5,
        reconnectMaxDelayMs: 20,
        ...overrides,
      },
    },
    SmsConfigSchema,
  ).smpp;
}

const MESSAGE = { to: '+79161234567', text: 'Ваш код: 482913', reference: 'challenge-1' };

describe('SMPP sender', () => {
  let smsc: FakeSmsc;
  let sender: SmppSender | undefined;
  beforeEach(async () => {
    smsc = await startFakeSmsc();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await sender?.close();
    sender = undefined;
    await smsc.close();
  });

  it('binds as a transceiver and submits the message with a delivery receipt requested', async () => {
    sender = createSmppSender(smppConfig(smsc.port), { log: createSilentLogger() });
    const { messageId } = await sender.send(MESSAGE);
    expect(messageId).toBe('smsc-1');
    expect(smsc.binds).toEqual([{ systemId: 'idbridge', accepted: true }]);
    const pdu = smsc.submitted[0];
    expect(pdu).toMatchObject({
      destination_addr: '79161234567',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      source_addr: 'idbridge',
      registered_delivery: 1,
      data_coding: 8, // UCS2, for the Cyrillic text
    });
    expect(pdu?.short_message).toMatchObject({ message: MESSAGE.text });
  });

  it('sends a text longer than one SMS in message_payload', async () => {
    sender = createSmppSender(smppConfig(smsc.port), { log: createSilentLogger() });
    const text = `Ваш код: 482913. ${'Никому его не сообщайте. '.repeat(3)}`;
    await sender.send({ ...MESSAGE, text });
    expect(smsc.submitted[0]?.message_payload).toMatchObject({ message: text });
  });

  it('is refused a bind with a wrong password and sends nothing', async () => {
    sender = createSmppSender(smppConfig(smsc.port, { password: 'wrong' }), {
      log: createSilentLogger(),
    });
    await expect(sender.connect()).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('ESME_RINVPASWD'),
    });
    await expect(sender.send(MESSAGE)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(smsc.binds.every((b) => !b.accepted)).toBe(true);
    expect(smsc.submitted).toHaveLength(0);
  });

  it('reports a delivery receipt from the SMSC against the message id', async () => {
    const receipts: DeliveryReceipt[] = [];
    const received = new Promise<void>((resolve) => {
      sender = createSmppSender(smppConfig(smsc.port), {
        log: createSilentLogger(),
        onDeliveryReceipt: (r) => {
          receipts.push(r);
          resolve();
        },
      });
    });
    const { messageId } = await (sender as unknown as SmppSender).send(MESSAGE);
    const smscSession = smsc.sessions[0];
    const acknowledged = new Promise<number>((resolve) => {
      smscSession?.send(
        new smpp.PDU('deliver_sm', {
          source_addr: '79161234567',
          esm_class: 0x04,
          short_message: `id:${messageId} sub:001 dlvr:001 submit date:2611280900 done date:2611280901 stat:DELIVRD err:000 text:`,
        }),
        (resp) => resolve(resp.command_status),
      );
    });
    await received;
    expect(await acknowledged).toBe(0);
    expect(receipts).toEqual([
      { messageId: 'smsc-1', status: 'DELIVRD', delivered: true, errorCode: undefined },
    ]);
  });

  it('surfaces a message the SMSC refuses as an error', async () => {
    smsc.refuseDestination = '79161234567';
    sender = createSmppSender(smppConfig(smsc.port), { log: createSilentLogger() });
    await expect(sender.send(MESSAGE)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('ESME_RINVDSTADR'),
    });
  });

  it('reconnects after the SMSC drops the connection, and the next send works', async () => {
    sender = createSmppSender(smppConfig(smsc.port), { log: createSilentLogger() });
    await sender.send(MESSAGE);
    const rebound = smsc.next('bind');
    smsc.sessions[0]?.destroy();
    await rebound;
    const { messageId } = await sender.send({ ...MESSAGE, reference: 'challenge-2' });
    expect(messageId).toBe('smsc-2');
    expect(smsc.binds).toHaveLength(2);
    expect(smsc.submitted.map((p) => p.destination_addr)).toEqual(['79161234567', '79161234567']);
  });

  it('keeps the link alive with enquire_link and replaces a link that stops answering', async () => {
    // Only the client's timers are faked; sockets still run for real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    sender = createSmppSender(
      smppConfig(smsc.port, { enquireLinkIntervalSeconds: 30, responseTimeoutSeconds: 10 }),
      { log: createSilentLogger(), random: () => 1 },
    );
    await sender.connect();
    const firstEnquiry = smsc.next('enquire_link');
    vi.advanceTimersByTime(30_000);
    await firstEnquiry;
    expect(sender.state()).toBe('bound');

    smsc.silent = true;
    const secondEnquiry = smsc.next('enquire_link');
    vi.advanceTimersByTime(30_000);
    await secondEnquiry;
    const rebound = smsc.next('bind');
    vi.advanceTimersByTime(10_000); // no answer: the client drops the link
    await vi.waitFor(() => expect(sender?.state()).not.toBe('bound'), { interval: 1 });
    expect(smsc.binds).toHaveLength(1);
    vi.advanceTimersByTime(20); // the reconnect backoff
    await rebound;
    await vi.waitFor(() => expect(sender?.state()).toBe('bound'), { interval: 1 });
    expect(smsc.binds).toHaveLength(2);
  });
});
