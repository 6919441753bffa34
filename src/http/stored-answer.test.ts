import { describe, expect, it } from 'vitest';
import { IdentificationAnswer } from '../protocol/schemas/index.js';
import { storedAnswerCheck } from './stored-answer.js';

describe('storedAnswerCheck', () => {
  const check = storedAnswerCheck(IdentificationAnswer, 'identification');
  const requestId = '0b6f2a52-3c5e-4f7e-9d1a-2f4c8e6b1a90';

  it('passes a stored answer that fits its schema through unchanged', () => {
    const stored = { requestId, result: 'confirmed', confirmedAt: '2026-12-08T10:00:00Z' };
    expect(check(stored)).toBe(stored);
  });

  it.each([
    ['a confirmation without its time', { requestId, result: 'confirmed' }],
    [
      'a time that names no real day',
      { requestId, result: 'confirmed', confirmedAt: '2026-02-30T10:00:00Z' },
    ],
    [
      'an answer with a field the protocol lacks',
      { requestId, result: 'pending', answerBy: '2026-12-08T10:20:00Z', msisdn: '+79161234567' },
    ],
  ])('refuses %s instead of sending it again', (_case, stored) => {
    expect(() => check(stored)).toThrow(/stored identification answer does not match its schema/);
  });
});
