import smpp from 'smpp';
import { IdbridgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { parseDeliveryReceipt } from './smpp-delivery-receipt.js';
import type { SmppSenderConfig } from './sms-config.js';
import type { DeliveryReceiptListener, SmsSender } from './sms-sender.js';

/**
 * An SMPP 3.4 client (ESME) for a real SMSC: one bind_transceiver session;
 * submit_sm with registered_delivery, so the SMSC returns delivery receipts
 * as deliver_sm, which are acknowledged and reported to `onDeliveryReceipt`;
 * enquire_link keepalive (a link that stops answering is dropped); on any
 * loss of the connection it reconnects with exponential backoff and jitter.
 *
 * A send waits for the bind (up to the response timeout) when the link is
 * down, and fails with UNAVAILABLE when the SMSC refuses the message, does
 * not answer in time, or a connection attempt fails meanwhile. A refused bind
 * (wrong credentials) fails with PERMISSION_DENIED; the client keeps retrying
 * at the backoff's pace, since SMSCs also refuse binds while overloaded.
 *
 * Concurrency: any number of sends may be outstanding on the one session;
 * responses are matched by sequence number.
 */
export type SmppState = 'idle' | 'connecting' | 'bound' | 'reconnecting' | 'closed';

export interface SmppSender extends SmsSender {
  /** Starts connecting (if idle); resolves once bound, rejects if this attempt fails. */
  connect(): Promise<void>;
  state(): SmppState;
}

export interface SmppSenderDeps {
  log: Logger;
  onDeliveryReceipt?: DeliveryReceiptListener | undefined;
  /** Jitter source for the reconnect backoff; tests may fix it. */
  random?: () => number;
}

interface Link {
  session: smpp.Session;
  bound: boolean;
  closed: boolean;
  lastError: Error | undefined;
  pending: Set<(err: Error) => void>;
  keepalive: NodeJS.Timeout | undefined;
}

interface BindWaiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** SMPP 3.4 §5.2.5 international number, ISDN (E.164) plan. */
const TON_INTERNATIONAL = 1;
const NPI_ISDN = 1;

/** One SMS holds 160 GSM 7-bit characters, or 70 in UCS2 (anything beyond printable ASCII here). */
export function fitsOneSms(text: string): boolean {
  return /^[\x20-\x7e\r\n]*$/.test(text) ? text.length <= 160 : text.length <= 70;
}

export function createSmppSender(config: SmppSenderConfig, deps: SmppSenderDeps): SmppSender {
  const responseTimeoutMs = config.responseTimeoutSeconds * 1000;
  const random = deps.random ?? Math.random;
  let state: SmppState = 'idle';
  let link: Link | undefined;
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const bindWaiters = new Set<BindWaiter>();

  const statusName = (status: number) =>
    Object.entries(smpp.errors).find(([, v]) => v === status)?.[0] ?? `0x${status.toString(16)}`;

  function request(current: Link, command: string, params: Record<string, unknown> = {}) {
    return new Promise<smpp.Pdu>((resolve, reject) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        current.pending.delete(fail);
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new IdbridgeError('UNAVAILABLE', `SMSC did not answer ${command} in time`)),
        responseTimeoutMs,
      );
      current.pending.add(fail);
      const written = current.session.send(new smpp.PDU(command, params), (response) => {
        clearTimeout(timer);
        current.pending.delete(fail);
        resolve(response);
      });
      if (!written) fail(new IdbridgeError('UNAVAILABLE', 'the SMPP connection is not open'));
    });
  }

  function settleWaiters(err?: Error) {
    for (const waiter of bindWaiters) {
      if (err) waiter.reject(err);
      else waiter.resolve();
    }
    bindWaiters.clear();
  }

  function open() {
    state = 'connecting';
    const session = smpp.connect({ host: config.host, port: config.port, tls: config.tls });
    const current: Link = {
      session,
      bound: false,
      closed: false,
      lastError: undefined,
      pending: new Set(),
      keepalive: undefined,
    };
    link = current;
    session.on(config.tls ? 'secureConnect' : 'connect', () => void bind(current));
    session.on('error', (err: Error) => {
      current.lastError = new IdbridgeError(
        'UNAVAILABLE',
        `SMPP connection failed: ${err.message}`,
      );
      deps.log.warn({ err: err.message }, 'SMPP connection error');
    });
    session.on('close', () => onClose(current));
    session.on('enquire_link', (pdu: smpp.Pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu: smpp.Pdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('deliver_sm', (pdu: smpp.Pdu) => {
      session.send(pdu.response());
      const receipt = parseDeliveryReceipt(pdu);
      if (!receipt) return; // a mobile-originated message: not ours to handle
      try {
        deps.onDeliveryReceipt?.(receipt);
      } catch (err) {
        deps.log.error({ err: (err as Error).message }, 'delivery receipt listener failed');
      }
    });
  }

  async function bind(current: Link) {
    try {
      const response = await request(current, 'bind_transceiver', {
        system_id: config.systemId,
        password: config.password,
        system_type: config.systemType,
        interface_version: 0x34,
      });
      if (response.command_status !== 0) {
        current.lastError = new IdbridgeError(
          'PERMISSION_DENIED',
          `SMSC refused the bind as ${config.systemId}: ${statusName(response.command_status)}`,
        );
        deps.log.error({ status: response.command_status }, 'SMPP bind refused');
        current.session.close();
        return;
      }
      if (state === 'closed' || link !== current) {
        current.session.close();
        return;
      }
      current.bound = true;
      state = 'bound';
      failures = 0;
      current.keepalive = setInterval(() => {
        request(current, 'enquire_link').catch((err: Error) => {
          deps.log.warn({ err: err.message }, 'SMPP link silent; reconnecting');
          current.session.destroy();
        });
      }, config.enquireLinkIntervalSeconds * 1000);
      deps.log.info({ host: config.host, port: config.port }, 'SMPP bound');
      settleWaiters();
    } catch (err) {
      current.lastError = err as Error;
      current.session.destroy();
    }
  }

  function onClose(current: Link) {
    current.closed = true;
    clearInterval(current.keepalive);
    const closedError = new IdbridgeError('UNAVAILABLE', 'the SMPP connection was closed');
    for (const fail of [...current.pending]) fail(closedError);
    if (link !== current) return;
    link = undefined;
    if (!current.bound) settleWaiters(current.lastError ?? closedError);
    if (state === 'closed') return;
    const base = Math.min(
      config.reconnectInitialDelayMs * 2 ** failures,
      config.reconnectMaxDelayMs,
    );
    const delay = Math.round(base / 2 + (random() * base) / 2);
    failures += 1;
    state = 'reconnecting';
    deps.log.warn({ delayMs: delay }, 'SMPP connection lost; reconnecting');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (state !== 'closed') open();
    }, delay);
  }

  function whenBound(): Promise<void> {
    if (state === 'bound') return Promise.resolve();
    if (state === 'closed') {
      return Promise.reject(new IdbridgeError('UNAVAILABLE', 'the SMPP sender is closed'));
    }
    if (state === 'idle') open();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        bindWaiters.delete(waiter);
        reject(new IdbridgeError('UNAVAILABLE', 'not bound to the SMSC'));
      }, responseTimeoutMs);
      const waiter: BindWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      bindWaiters.add(waiter);
    });
  }

  return {
    connect: whenBound,
    state: () => state,

    async send(message) {
      await whenBound();
      const current = link;
      if (!current?.bound) throw new IdbridgeError('UNAVAILABLE', 'not bound to the SMSC');
      const response = await request(current, 'submit_sm', {
        source_addr_ton: config.sourceAddrTon,
        source_addr_npi: config.sourceAddrNpi,
        source_addr: config.sourceAddr,
        dest_addr_ton: TON_INTERNATIONAL,
        dest_addr_npi: NPI_ISDN,
        destination_addr: message.to.replace(/^\+/, ''),
        registered_delivery: 1, // SMSC delivery receipt on final outcome
        // A text longer than one SMS goes in message_payload (§5.3.2.32); the SMSC segments it.
        ...(fitsOneSms(message.text)
          ? { short_message: message.text }
          : { message_payload: message.text }),
      });
      if (response.command_status !== 0) {
        throw new IdbridgeError(
          'UNAVAILABLE',
          `SMSC refused the message: ${statusName(response.command_status)}`,
        );
      }
      return { messageId: String(response.message_id) };
    },

    async close() {
      if (state === 'closed') return;
      state = 'closed';
      clearTimeout(reconnectTimer);
      settleWaiters(new IdbridgeError('UNAVAILABLE', 'the SMPP sender is closed'));
      const current = link;
      if (!current || current.closed) return;
      if (current.bound) await request(current, 'unbind').catch(() => undefined);
      await new Promise<void>((resolve) => {
        if (current.closed) return resolve();
        // A peer that ignores the FIN must not hold shutdown up.
        const force = setTimeout(() => current.session.destroy(), responseTimeoutMs);
        current.session.close(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
