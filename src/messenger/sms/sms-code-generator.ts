import { randomInt } from 'node:crypto';

/** Makes a one-time code of `length` decimal digits; injected so tests know the code. */
export type SmsCodeGenerator = (length: number) => string;

/** Uniform over all codes of that length, from the CSPRNG (no modulo bias: randomInt). */
export const randomSmsCode: SmsCodeGenerator = (length) =>
  randomInt(0, 10 ** length)
    .toString()
    .padStart(length, '0');

/** Hands out the given codes in order; for tests. */
export function createFixedSmsCodes(...codes: string[]): SmsCodeGenerator {
  let next = 0;
  return () => {
    const code = codes[next++];
    if (code === undefined) throw new Error('createFixedSmsCodes: no codes left');
    return code;
  };
}
