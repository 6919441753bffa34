import { describe, expect, it } from 'vitest';
import { IdbridgeError, toCamaraBody } from './errors.js';

describe('IdbridgeError', () => {
  it('maps each code to its HTTP status and CAMARA body', () => {
    const err = new IdbridgeError('CONFLICT', 'requestId reused with another body');
    expect(err.status).toBe(409);
    expect(err.toBody()).toEqual({
      status: 409,
      code: 'CONFLICT',
      message: 'requestId reused with another body',
    });
  });

  it('hides unknown faults behind a bare INTERNAL body', () => {
    const body = toCamaraBody(
      new Error('syntax error at or near "SELEC" in SELECT * FROM secrets'),
    );
    expect(body).toEqual({ status: 500, code: 'INTERNAL', message: 'internal error' });
  });
});
