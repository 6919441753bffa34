import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { createNumberHasher } from './number-hash.js';

it('is HMAC-SHA256 in hex (RFC 4231 test case 6)', () => {
  // The published vector, so the stored hashes stay what every node and
  // earlier release wrote.
  const hash = createNumberHasher(Buffer.alloc(131, 0xaa));
  expect(hash('Test Using Larger Than Block-Size Key - Hash Key First')).toBe(
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  );
});

it('takes a string key as its UTF-8 bytes, as a key file or env value is read', () => {
  const key = 'ключ-для-номеров-0123456789';
  expect(createNumberHasher(key)('+79161234567')).toBe(
    createHmac('sha256', Buffer.from(key, 'utf8')).update('+79161234567').digest('hex'),
  );
});

it('refuses a key shorter than 16 bytes', () => {
  expect(() => createNumberHasher('short')).toThrow(/at least 16 bytes/);
});
