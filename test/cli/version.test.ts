import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';

const execFileAsync = promisify(execFile);
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

/** Issue 29 item 3: the release is asked of the program and of a running node alike. */
describe('the idbridge release', () => {
  let n: IdentificationNetwork;
  beforeAll(async () => {
    n = await startIdentificationNetwork('pglite');
  });
  afterAll(() => n.close());

  it('idbridge --version and -V print it and exit 0', async () => {
    for (const flag of ['--version', '-V']) {
      const { stdout } = await execFileAsync(process.execPath, [resolve('bin/idbridge.js'), flag]);
      expect(stdout.trim()).toBe(version);
    }
  });

  it('every listener says it in /health, and its served OpenAPI describes the field', async () => {
    for (const url of [
      n.net.baseUrl('mts'),
      n.operators.mts!.internalUrl,
      n.messenger.appUrl,
      n.net.baseUrl('tamtam'),
    ]) {
      const res = await fetch(`${url}/health`);
      expect(await res.json()).toMatchObject({ status: 'ok', version });
      const doc = (await (await fetch(`${url}/docs`)).json()) as {
        paths: Record<
          string,
          {
            get: {
              responses: Record<
                string,
                { content: Record<string, { schema: { properties: Record<string, unknown> } }> }
              >;
            };
          }
        >;
      };
      expect(
        doc.paths['/health']?.get.responses['200']?.content['application/json']?.schema.properties,
      ).toHaveProperty('version');
    }
  });
});
