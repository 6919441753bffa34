import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';

const run = promisify(execFile);
const REDOCLY = resolve('node_modules/.bin/redocly');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: unknown }>;
}

/**
 * Every served document passes Redocly's `recommended` rule set with no
 * error, run as the CLI a partner or CI would run it. A lint that cannot run
 * fails the test: it is never skipped.
 */
describe('served OpenAPI documents pass `redocly lint --extends recommended`', () => {
  let n: IdentificationNetwork;
  let dir: string;
  const files: Record<string, string> = {};
  const documents: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    // The documents do not depend on the database driver: one run suffices.
    n = await startIdentificationNetwork('pglite');
    dir = await mkdtemp(join(tmpdir(), 'idbridge-openapi-lint-'));
    const urls = {
      'operator-partner': n.net.baseUrl('mts'),
      'operator-internal': n.operators.mts!.internalUrl,
      'messenger-partner': n.net.baseUrl('tamtam'),
      'messenger-app': n.messenger.appUrl,
    };
    for (const [name, url] of Object.entries(urls)) {
      const res = await fetch(`${url}/docs`);
      expect(res.status).toBe(200);
      documents[name] = (await res.json()) as Record<string, unknown>;
      files[name] = join(dir, `${name}.json`);
      await writeFile(files[name], JSON.stringify(documents[name], null, 2));
    }
  }, 60_000);
  afterAll(async () => {
    await n?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const name of [
    'operator-partner',
    'operator-internal',
    'messenger-partner',
    'messenger-app',
  ]) {
    it(`${name}: 0 errors`, async () => {
      let stdout: string;
      try {
        // Run outside the repository so no local redocly config changes the rules.
        ({ stdout } = await run(
          REDOCLY,
          ['lint', '--extends', 'recommended', '--format', 'json', files[name] as string],
          {
            cwd: dir,
            env: {
              ...process.env,
              REDOCLY_TELEMETRY: 'off',
              REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
            },
          },
        ));
      } catch (err) {
        const failed = err as { stdout?: string; message: string };
        // A lint with errors exits non-zero: show its problems; anything else is a failure too.
        if (!failed.stdout) throw new Error(`redocly lint did not run: ${failed.message}`);
        stdout = failed.stdout;
      }
      const report = JSON.parse(stdout) as LintReport;
      const errors = report.problems
        .filter((p) => p.severity === 'error')
        .map((p) => `${p.ruleId}: ${p.message} ${JSON.stringify(p.location)}`);
      expect(errors).toEqual([]);
      expect(report.totals.errors).toBe(0);
    }, 60_000);
  }

  it('describes security, operationId and servers of every operation, and the webhooks', () => {
    for (const [name, document] of Object.entries(documents)) {
      const doc = document as {
        servers?: unknown[];
        security?: Array<Record<string, unknown>>;
        components?: { securitySchemes?: Record<string, { type: string; name?: string }> };
        paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
      };
      expect(doc.servers?.length, name).toBeGreaterThan(0);
      const schemes = Object.keys(doc.components?.securitySchemes ?? {});
      // Partner listeners: RFC 9421 signature headers; the others: the bearer credential.
      expect(doc.security, name).toEqual(
        name.endsWith('partner')
          ? [{ httpSignature: [], httpSignatureInput: [] }]
          : [{ internalBearer: [] }],
      );
      for (const required of Object.keys(doc.security?.[0] ?? {}))
        expect(schemes, name).toContain(required);
      const ids = Object.values(doc.paths).flatMap((ops) =>
        Object.values(ops).map((op) => op.operationId),
      );
      expect(ids.every(Boolean), name).toBe(true);
      expect(new Set(ids).size, name).toBe(ids.length);
    }
    const app = documents['messenger-app'] as {
      webhooks?: Record<string, { post: { parameters: Array<{ name: string; in: string }> } }>;
    };
    expect(Object.keys(app.webhooks ?? {}).sort()).toEqual([
      'user.deauthorized',
      'user.identified',
      'user.not_identified',
      'user.suspended',
    ]);
    for (const hook of Object.values(app.webhooks ?? {}))
      expect(hook.post.parameters.map((p) => `${p.in}:${p.name}`)).toEqual([
        'header:webhook-id',
        'header:webhook-timestamp',
        'header:webhook-signature',
      ]);
  });
});
