import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../../../src/db/migrator.js';
import { createPostgresDatabase } from '../../../src/db/postgres-driver.js';
import { MESSENGER_MIGRATION_SETS } from '../../../src/messenger/start-messenger-node.js';
import { OPERATOR_MIGRATION_SETS } from '../../../src/operator/start-operator-node.js';
import type { Participant } from '../../../src/protocol/schemas/index.js';
import {
  generateSigningKeyPair,
  writePrivateJwkFile,
} from '../../../src/protocol/signatures/index.js';
import { freePort } from '../../helpers/test-network.js';

export const OPERATOR_ID = 'mts';
export const MESSENGER_IDS = ['m1', 'm2', 'm3'] as const;
/** Contract i is the number +7916 000 0000 + i. */
export const FIRST_MSISDN = 79_160_000_000;

/** One Moscow MTS range: the messengers' routing must load, nothing here is routed. */
const PLAN = [
  'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН',
  '916;0000000;9999999;10000000;ПАО "Мобильные ТелеСистемы";г. Москва;г. Москва;7740000076',
].join('\n');

export interface CrashNetwork {
  url: string;
  dir: string;
  operatorSchema: string;
  messengerSchemas: Record<string, string>;
  /** Config files of the two operator processes (same participant, same schema). */
  operatorConfigs: [string, string];
  /** Config files of the three messenger nodes hosted by one process. */
  messengerConfigs: string[];
  /** Internal (BSS events) URLs of the two operator processes. */
  operatorInternalUrls: [string, string];
  internalToken: string;
  /** Drops the schemas and the temporary directory. */
  drop(): Promise<void>;
}

/**
 * Schemas, keys, directory and config files for the crash test: one
 * operator schema shared by two operator processes (scale-out, both running
 * outbox workers) and one schema per messenger. Outbox leases and backoff are
 * short so a killed worker's claims and a dead messenger's batches come back
 * within seconds rather than minutes.
 */
export async function prepareCrashNetwork(url: string): Promise<CrashNetwork> {
  const tag = randomBytes(4).toString('hex');
  const operatorSchema = `crash_op_${tag}`;
  const messengerSchemas = Object.fromEntries(MESSENGER_IDS.map((m) => [m, `crash_${m}_${tag}`]));
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-crash-'));
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const schemas = [operatorSchema, ...Object.values(messengerSchemas)];
  for (const schema of schemas) await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();

  const ports = {
    operatorPartner: await freePort(),
    operatorInternal: [await freePort(), await freePort()] as const,
    messengers: Object.fromEntries(
      await Promise.all(MESSENGER_IDS.map(async (m) => [m, await freePort()])),
    ),
  };
  const participants: Participant[] = [];
  const keyFiles: Record<string, string> = {};
  for (const id of [OPERATOR_ID, ...MESSENGER_IDS]) {
    const pair = generateSigningKeyPair(`${id}-key-1`);
    keyFiles[id] = join(dir, `${id}.key.json`);
    writePrivateJwkFile(keyFiles[id], pair.privateJwk);
    const port = id === OPERATOR_ID ? ports.operatorPartner : ports.messengers[id];
    participants.push({
      id,
      role: id === OPERATOR_ID ? 'operator' : 'messenger',
      name: id.toUpperCase(),
      ...(id === OPERATOR_ID ? { inn: '7740000076' } : {}),
      baseUrl: `http://127.0.0.1:${port}`,
      keys: [pair.publicJwk],
      agreement: true,
    });
  }
  const directoryFile = join(dir, 'directory.json');
  await writeFile(directoryFile, JSON.stringify(participants, null, 2));
  const planFile = join(dir, 'plan.csv');
  await writeFile(planFile, PLAN);
  const internalToken = `crash-internal-token-${tag}`;

  const common = (id: string, schema: string, partnerPort: number, internalPort: number) => ({
    database: { url, schema, poolSize: 8 },
    log: { level: 'warn' },
    node: {
      id,
      signingKeyFile: keyFiles[id],
      directoryFile,
      numberHashKey: `crash-number-hash-key-${tag}`,
      internalToken,
      partnerListener: { host: '127.0.0.1', port: partnerPort },
      internalListener: { host: '127.0.0.1', port: internalPort },
      requestTimeoutMs: 30_000,
    },
    // A killed worker's claims are claimable again after 10 s; a batch that
    // failed (messenger down) is retried within a second. Batches of 250
    // (≤ 1,000, §3) finish well inside the lease on a busy CI machine: the
    // messenger acts on notices one transaction each (see issue 6 bench).
    outbox: {
      leaseMs: 10_000,
      maxBatchItems: 250,
      pollIntervalMs: 200,
      concurrency: 4,
      backoffMs: [200, 500, 1_000],
      circuitCoolDownMs: 1_000,
    },
  });
  const operatorConfigs = await Promise.all(
    [0, 1].map(async (n) => {
      const file = join(dir, `operator-${n}.json`);
      // Only process 0 owns the directory's partner port; nothing calls it here.
      const partnerPort = n === 0 ? ports.operatorPartner : 0;
      const internalPort = ports.operatorInternal[n] as number;
      await writeFile(
        file,
        JSON.stringify(common(OPERATOR_ID, operatorSchema, partnerPort, internalPort)),
      );
      return file;
    }),
  );
  const messengerConfigs = await Promise.all(
    MESSENGER_IDS.map(async (m) => {
      const file = join(dir, `messenger-${m}.json`);
      const config = {
        ...common(m, messengerSchemas[m] as string, ports.messengers[m] as number, 0),
        routing: { planFiles: [planFile] },
        messenger: { smsSecret: `crash-sms-secret-${tag}-0123456789abcdef` },
      };
      await writeFile(file, JSON.stringify(config));
      return file;
    }),
  );

  // Migrated here, once, so the children start without racing on it.
  await withSchema(url, operatorSchema, (db) => migrate(db, OPERATOR_MIGRATION_SETS));
  for (const schema of Object.values(messengerSchemas)) {
    await withSchema(url, schema, (db) => migrate(db, MESSENGER_MIGRATION_SETS));
  }

  return {
    url,
    dir,
    operatorSchema,
    messengerSchemas,
    operatorConfigs: operatorConfigs as [string, string],
    messengerConfigs,
    operatorInternalUrls: ports.operatorInternal.map((p) => `http://127.0.0.1:${p}`) as [
      string,
      string,
    ],
    internalToken,
    async drop() {
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      for (const schema of schemas) await cleanup.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await cleanup.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function withSchema<T>(
  url: string,
  schema: string,
  fn: (db: ReturnType<typeof createPostgresDatabase>) => Promise<T>,
): Promise<T> {
  const db = createPostgresDatabase({ url, schema, poolSize: 2 });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The identification code of contract `i` at messenger `m` (opaque, fixed for the run). */
export const codeSql = (m: string, i: string) => `md5(${m} || ':' || ${i})`;

/**
 * Seeds `contracts` open contracts at the operator with one open register
 * entry per messenger each (as confirmed identifications leave them, I3), and
 * on each messenger the matching identified users under those codes. Plain
 * set-based SQL: the crash test is about notices, not about how entries and
 * users came to be.
 */
export async function seedCrashNetwork(net: CrashNetwork, contracts: number): Promise<void> {
  const client = new pg.Client({ connectionString: net.url });
  await client.connect();
  try {
    const started = new Date(Date.now() - 30 * 86_400_000);
    await client.query(
      `INSERT INTO ${net.operatorSchema}.subscriber_contracts
         (msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, updated_at)
       SELECT $1::bigint + i, 'C-' || i, 'individual', true, $2, $2 FROM generate_series(0, $3 - 1) i`,
      [FIRST_MSISDN, started, contracts],
    );
    await client.query(
      `INSERT INTO ${net.operatorSchema}.register_entries
         (entry_id, messenger_id, code, msisdn, contract_id, request_id, opened_at)
       SELECT gen_random_uuid(), m, ${codeSql('m', 'i::text')}, $1::bigint + i, 'C-' || i,
              gen_random_uuid(), $2
         FROM generate_series(0, $3 - 1) i CROSS JOIN unnest($4::text[]) m`,
      [FIRST_MSISDN, started, contracts, [...MESSENGER_IDS]],
    );
    for (const m of MESSENGER_IDS) {
      await client.query(
        `INSERT INTO ${net.messengerSchemas[m]}.users
           (user_id, msisdn, state, identification_code, operator_id, identified_at, created_at, updated_at)
         SELECT gen_random_uuid(), '+' || ($1::bigint + i), 'identified', ${codeSql('$4::text', 'i::text')},
                $5, $2, $2, $2
           FROM generate_series(0, $3 - 1) i`,
        [FIRST_MSISDN, started, contracts, m, OPERATOR_ID],
      );
    }
  } finally {
    await client.end();
  }
}
