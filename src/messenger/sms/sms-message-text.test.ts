import { describe, expect, it } from 'vitest';
import { randomSmsCode } from './sms-code-generator.js';
import { renderSmsText } from './sms-message-text.js';

describe('SMS text and codes', () => {
  it('puts the code into the template', () => {
    expect(renderSmsText('Код {code} для входа. Никому не сообщайте {code}', '004211')).toBe(
      'Код 004211 для входа. Никому не сообщайте 004211',
    );
  });

  it('refuses a template without {code}', () => {
    expect(() => renderSmsText('Your code', '1')).toThrow(/\{code\}/);
  });

  it('makes codes of exactly the asked number of digits, keeping leading zeros', () => {
    const codes = Array.from({ length: 2000 }, () => randomSmsCode(6));
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    // With 2000 draws from 10^6, a code starting with 0 is all but certain (1 - 0.9^2000).
    expect(codes.some((c) => c.startsWith('0'))).toBe(true);
  });
});
