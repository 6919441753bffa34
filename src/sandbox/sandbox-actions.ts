import { readFile, writeFile } from 'node:fs/promises';
import { findConsoleUser, searchUsers } from '../console/messenger-dashboard-store.js';
import { openContractOf, sampleIdentifiableNumbers } from '../console/subscriber-lookup-store.js';
import type { Clock } from '../core/clock.js';
import { IdbridgeError } from '../core/errors.js';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { KNOWN_OPERATORS } from '../routing/known-operators.js';
import type { SandboxNetwork, SandboxOperator } from './sandbox-network.js';
import { homeDef } from './sandbox-reference-data.js';

/** What a node's API answered, relayed to the page as is. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/**
 * The newcomer's clicks in the sandbox console. Each one goes
 * through a node's real API — the messenger's app API with its bearer, the
 * operators' internal BSS-event API with theirs — so what the page shows
 * afterwards is the nodes' own doing, not a simulation. Sandbox only: it
 * holds every node's credential.
 */
export function createSandboxActions(deps: {
  network: SandboxNetwork;
  /** The Port_All snapshot the messenger routes by (sandbox data dir). */
  portedFile: string;
  host: string;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  fetch?: typeof fetch;
}) {
  const { network, clock, ids } = deps;
  const doFetch = deps.fetch ?? fetch;
  const messenger = network.messenger;
  const offline = new Set<string>();

  const call = async (
    url: string,
    token: string,
    method: string,
    body?: unknown,
  ): Promise<ApiAnswer> => {
    const response = await doFetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
  const app = (method: string, path: string, body?: unknown) =>
    call(`${messenger.appUrl}${path}`, messenger.appToken, method, body);
  const operator = (id: string): SandboxOperator => {
    const op = network.operators.find((o) => o.id === id);
    if (!op) throw new IdbridgeError('NOT_FOUND', `no sandbox operator ${id}`);
    return op;
  };
  const sendEvents = (op: SandboxOperator, events: unknown[]) =>
    call(`${op.internalUrl}/internal/v1/subscriber-events`, op.internalToken, 'POST', { events });
  const userOrThrow = async (userId: string) => {
    const user = await findConsoleUser(messenger.db, userId);
    if (!user) throw new IdbridgeError('NOT_FOUND', 'no such user');
    if (!user.operatorId) throw new IdbridgeError('CONFLICT', 'the user has no operator yet');
    return user;
  };

  /** A subscriber of the operator that has no live account yet. */
  const pickNumber = async (operatorId: string): Promise<string> => {
    const candidates = await sampleIdentifiableNumbers(operator(operatorId).db, {
      prefixDigits: `7${homeDef(operatorId)}`,
      limit: 20,
    });
    for (const digits of candidates) {
      const users = await searchUsers(messenger.db, { msisdn: `+${digits}` });
      if (!users.some((u) => !['suspended', 'deauthorized', 'deleted'].includes(u.state)))
        return `+${digits}`;
    }
    throw new IdbridgeError('CONFLICT', `no free subscriber left at ${operatorId}`);
  };

  return {
    operatorIds: () => network.operators.map((o) => o.id),
    isOffline: (id: string) => offline.has(id),

    /** R2: the messenger sends an SMS code; `phone` or a fresh subscriber of `operatorId`. */
    async register(input: { phone?: string; operatorId?: string }): Promise<ApiAnswer> {
      const phone = input.phone?.trim() || (await pickNumber(input.operatorId ?? 'mts'));
      return app('POST', '/app/v1/registrations', { phone });
    },

    confirm: (input: { phone: string; code: string }) =>
      app('POST', '/app/v1/registrations/confirm', { phone: input.phone, code: input.code }),

    /** The SMS the development sender "sent": the sandbox inbox (full numbers, sandbox only). */
    inbox: () => app('GET', '/app/v1/dev/sms-outbox?limit=20'),

    /** R7: the BSS ends the user's contract at the operator that identified them. */
    async endContract(userId: string): Promise<ApiAnswer> {
      const user = await userOrThrow(userId);
      const op = operator(user.operatorId as string);
      const digits = user.msisdn.replace(/^\+/, '');
      const contract = await openContractOf(op.db, digits);
      if (!contract) throw new IdbridgeError('CONFLICT', 'the number has no open contract');
      return sendEvents(op, [
        {
          type: 'contract_terminated',
          eventId: ids(),
          msisdn: user.msisdn,
          contractId: contract.contractId,
          occurredAt: clock.now().toISOString(),
        },
      ]);
    },

    /**
     * I2/I5: the number moves to `toOperatorId`. The new contract and the
     * portability snapshot come first, so that when the old operator's
     * `number_ported_out` notice makes the messenger reload its routing and
     * re-identify, the number already routes to its new operator.
     */
    async portNumber(userId: string, toOperatorId: string): Promise<ApiAnswer> {
      const user = await userOrThrow(userId);
      const from = operator(user.operatorId as string);
      const to = operator(toOperatorId);
      if (from.id === to.id)
        throw new IdbridgeError('INVALID_ARGUMENT', 'the number is already there');
      const digits = user.msisdn.replace(/^\+/, '');
      const contract = await openContractOf(from.db, digits);
      if (!contract) throw new IdbridgeError('CONFLICT', 'the number has no open contract');
      const now = clock.now();
      const started = await sendEvents(to, [
        {
          type: 'contract_started',
          eventId: ids(),
          msisdn: user.msisdn,
          contractId: `PORT-${ids()}`,
          occurredAt: now.toISOString(),
          subscriberType: contract.subscriberType,
          hasSubscriberData: true,
        },
      ]);
      if (started.status !== 200) return started;
      await addToPortAll(deps.portedFile, digits.slice(1), to.id, now);
      await messenger.routing.reload();
      return sendEvents(from, [
        {
          type: 'number_ported_out',
          eventId: ids(),
          msisdn: user.msisdn,
          contractId: contract.contractId,
          occurredAt: new Date(now.getTime() + 1).toISOString(),
        },
      ]);
    },

    /**
     * Takes an operator's partner listener down (connections refused, open
     * ones cut) or brings it back on the same port: the messenger's retries,
     * the 20-minute clock and the outbox's circuit then behave as for a real
     * outage.
     */
    async setOffline(operatorId: string, down: boolean): Promise<{ offline: boolean }> {
      const op = operator(operatorId);
      const server = op.node.partnerApp.server;
      if (down && !offline.has(op.id)) {
        offline.add(op.id);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        deps.log.info({ operator: op.id }, 'sandbox: operator partner listener taken offline');
      } else if (!down && offline.has(op.id)) {
        const port = Number(new URL(op.partnerUrl).port);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, deps.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
        offline.delete(op.id);
        deps.log.info({ operator: op.id }, 'sandbox: operator partner listener back online');
      }
      return { offline: offline.has(op.id) };
    },
  };
}

export type SandboxActions = ReturnType<typeof createSandboxActions>;

/**
 * Adds (or moves) one number in the Port_All snapshot and rewrites every
 * row's RowCount, so the file stays whole for the routing loader.
 */
async function addToPortAll(
  file: string,
  tenDigits: string,
  operatorId: string,
  at: Date,
): Promise<void> {
  const op = KNOWN_OPERATORS.find((o) => o.id === operatorId);
  if (!op) throw new IdbridgeError('NOT_FOUND', `unknown operator ${operatorId}`);
  const [header, ...lines] = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
  const rows = lines
    .map((l) => l.split(','))
    .filter((cells) => cells[0] !== tenDigits)
    .map((cells) => cells.slice(0, 6));
  const mnc = op.mncs[0] ?? '';
  rows.push([tenDigits, op.portOwnerIds[0] ?? '', mnc, `D77${mnc}`, '77', at.toISOString()]);
  const body = rows.map((cells) => [...cells, String(rows.length)].join(',')).join('\n');
  await writeFile(file, `${header}\n${body}\n`);
}
