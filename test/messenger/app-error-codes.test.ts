import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS, IdbridgeError } from '../../src/core/errors.js';
import { toHttpError } from '../../src/http/to-http-error.js';
import { APP_ERROR_CODES } from '../../src/messenger/http/app-error-codes.js';
import { SMS_REASON_ERROR_CODE } from '../../src/messenger/sms/sms-error.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';

/**
 * Issue 23 item 8: every app-API error names its cause in `code`, so a
 * backend never parses the message. The list in the source, the table in
 * docs/messenger-app-api.md and the enum of the served OpenAPI are one list.
 */
describe('app API error codes', () => {
  it('every SMS refusal reason has its code, with the status of its generic code', () => {
    for (const [reason, generic] of Object.entries(SMS_REASON_ERROR_CODE)) {
      const entry = APP_ERROR_CODES[reason.toUpperCase() as keyof typeof APP_ERROR_CODES];
      expect(entry, reason).toBeDefined();
      expect(entry[0], reason).toBe(ERROR_STATUS[generic]);
    }
  });

  it('docs/messenger-app-api.md lists exactly these codes with their statuses', () => {
    const doc = readFileSync('docs/messenger-app-api.md', 'utf8');
    const section = doc.slice(doc.indexOf('## Error codes'));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(rows).toEqual(Object.entries(APP_ERROR_CODES).map(([code, [status]]) => [code, status]));
  });

  it('the partner listeners keep the generic code; only the app API sends the cause', () => {
    const err = new IdbridgeError('INVALID_ARGUMENT', 'the code has expired', {
      causeCode: 'CODE_EXPIRED',
    });
    expect(toHttpError(err).body.code).toBe('INVALID_ARGUMENT');
    expect(toHttpError(err, { causeCodes: true }).body.code).toBe('CODE_EXPIRED');
  });

  describe('over HTTP', () => {
    let n: IdentificationNetwork;
    beforeAll(async () => {
      n = await startIdentificationNetwork('pglite');
    });
    afterAll(() => n.close());

    it('the served OpenAPI gives every error response the code enum', async () => {
      const doc = (await (await fetch(`${n.messenger.appUrl}/docs`)).json()) as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      let checked = 0;
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          for (const [status, response] of Object.entries(op.responses)) {
            if (Number(status) < 400) continue;
            const schema = (response as { content: Record<string, { schema: unknown }> }).content[
              'application/json'
            ]?.schema as { properties: { code: { enum: string[] } } };
            expect(schema.properties.code.enum, `${method} ${path} ${status}`).toEqual(
              Object.keys(APP_ERROR_CODES),
            );
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(20);
    });

    it('a phone that is no number is INVALID_NUMBER, an unknown user USER_NOT_FOUND', async () => {
      const bad = await n.app('POST', '/app/v1/registrations', { phone: '+7 12' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ status: 400, code: 'INVALID_NUMBER' });
      const missing = await n.app('GET', '/app/v1/users/00000000-0000-4000-8000-000000000000');
      expect(missing.body).toMatchObject({ status: 404, code: 'USER_NOT_FOUND' });
      const unknownCode = await n.app('POST', '/app/v1/registrations/confirm', {
        phone: '+79160000077',
        code: '123456',
      });
      expect(unknownCode.body).toMatchObject({ status: 404, code: 'CHALLENGE_NOT_FOUND' });
    });
  });
});
