import pg from 'pg';

/**
 * Benchmarks should measure what a deployment's PostgreSQL does. The server
 * on the bench machines runs with `autovacuum = off`, so a bench that updates
 * millions of rows would run on tables never vacuumed nor analyzed: dead
 * index entries piling up in every queue-like index and statistics from
 * before the load, which no production server has (autovacuum is on by
 * default). When the server's autovacuum is off, the stand-in does its job
 * for the bench database: every `autovacuum_naptime` it vacuums and/or
 * analyzes each user table past autovacuum's thresholds (the server's
 * settings, overridden by the table's own storage parameters, as autovacuum
 * computes them), throttled by autovacuum's cost settings. When the server's
 * autovacuum is on, it does nothing and the server does the work.
 */
export interface AutovacuumStandIn {
  /** False when the server runs autovacuum itself. */
  active: boolean;
  /** Stops the loop, cancelling a vacuum in progress. */
  stop(): Promise<{ vacuums: number; analyzes: number }>;
}

interface Settings {
  naptimeMs: number;
  vacuumThreshold: number;
  vacuumScale: number;
  insertThreshold: number;
  insertScale: number;
  analyzeThreshold: number;
  analyzeScale: number;
  costDelay: string;
  costLimit: number;
}

interface TableStats {
  schemaname: string;
  relname: string;
  n_dead_tup: string;
  n_mod_since_analyze: string;
  n_ins_since_vacuum: string;
  reltuples: number;
  reloptions: string[] | null;
}

export async function startAutovacuumStandIn(
  url: string,
  progress: (message: string) => void,
): Promise<AutovacuumStandIn> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'idbridge-bench-vacuum',
  });
  await client.connect();
  const setting = async (name: string): Promise<string> =>
    (await client.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])).rows[0]?.v ?? '';
  if ((await setting('autovacuum')) === 'on') {
    await client.end();
    return { active: false, stop: async () => ({ vacuums: 0, analyzes: 0 }) };
  }
  const num = async (name: string) => Number(await setting(name));
  const costLimit = await num('autovacuum_vacuum_cost_limit');
  const settings: Settings = {
    naptimeMs:
      Number(
        (
          await client.query<{ s: string }>(
            `SELECT setting AS s FROM pg_settings WHERE name = 'autovacuum_naptime'`,
          )
        ).rows[0]?.s,
      ) * 1000,
    vacuumThreshold: await num('autovacuum_vacuum_threshold'),
    vacuumScale: await num('autovacuum_vacuum_scale_factor'),
    insertThreshold: await num('autovacuum_vacuum_insert_threshold'),
    insertScale: await num('autovacuum_vacuum_insert_scale_factor'),
    analyzeThreshold: await num('autovacuum_analyze_threshold'),
    analyzeScale: await num('autovacuum_analyze_scale_factor'),
    costDelay: await setting('autovacuum_vacuum_cost_delay'),
    costLimit: costLimit > 0 ? costLimit : await num('vacuum_cost_limit'),
  };
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  await client.query(`SET vacuum_cost_delay = '${settings.costDelay}'`);
  await client.query(`SET vacuum_cost_limit = ${settings.costLimit}`);
  progress(
    `server autovacuum is off: standing in for it (every ${settings.naptimeMs / 1000} s, its thresholds and cost limits)`,
  );

  let stopped = false;
  let wakeUp: () => void = () => {};
  const counts = { vacuums: 0, analyzes: 0 };

  const round = async (): Promise<void> => {
    const { rows } = await client.query<TableStats>(
      `SELECT s.schemaname, s.relname, s.n_dead_tup, s.n_mod_since_analyze, s.n_ins_since_vacuum,
              c.reltuples, c.reloptions
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE c.relkind = 'r'`,
    );
    for (const t of rows) {
      if (stopped) return;
      const opt = parseOptions(t.reloptions);
      const tuples = Math.max(0, t.reltuples);
      const vacuumAt =
        (opt.autovacuum_vacuum_threshold ?? settings.vacuumThreshold) +
        (opt.autovacuum_vacuum_scale_factor ?? settings.vacuumScale) * tuples;
      const insertAt =
        (opt.autovacuum_vacuum_insert_threshold ?? settings.insertThreshold) +
        (opt.autovacuum_vacuum_insert_scale_factor ?? settings.insertScale) * tuples;
      const analyzeAt =
        (opt.autovacuum_analyze_threshold ?? settings.analyzeThreshold) +
        (opt.autovacuum_analyze_scale_factor ?? settings.analyzeScale) * tuples;
      const vacuum = Number(t.n_dead_tup) > vacuumAt || Number(t.n_ins_since_vacuum) > insertAt;
      const analyze = Number(t.n_mod_since_analyze) > analyzeAt;
      if (!vacuum && !analyze) continue;
      const name = `${quoteIdent(t.schemaname)}.${quoteIdent(t.relname)}`;
      const command = vacuum
        ? analyze
          ? `VACUUM (ANALYZE) ${name}`
          : `VACUUM ${name}`
        : `ANALYZE ${name}`;
      try {
        await client.query(command);
        if (vacuum) counts.vacuums++;
        if (analyze) counts.analyzes++;
      } catch (err) {
        // A schema dropped under it, or the stop cancelled it: both are fine.
        if (!stopped && !/does not exist|canceling statement/.test((err as Error).message)) {
          throw err;
        }
      }
    }
  };

  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      await round();
      const wait = Math.max(0, settings.naptimeMs - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    active: true,
    async stop() {
      stopped = true;
      wakeUp();
      const canceller = new pg.Client({ connectionString: url });
      await canceller.connect();
      await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
      await canceller.end();
      await loop.catch(() => {});
      await client.end();
      return { ...counts };
    },
  };
}

function parseOptions(reloptions: string[] | null): Record<string, number | undefined> {
  const out: Record<string, number> = {};
  for (const o of reloptions ?? []) {
    const [key, value] = o.split('=');
    if (key && value !== undefined && Number.isFinite(Number(value))) out[key] = Number(value);
  }
  return out;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
