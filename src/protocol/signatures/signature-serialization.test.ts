import { randomBytes } from 'node:crypto';
import {
  type Item,
  serializeDictionary,
  serializeInnerList,
  serializeItem,
} from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { componentIdentifier } from './signature-base.js';
import {
  createSignatureParams,
  serializeSignature,
  serializeSignatureInput,
} from './signature-fields.js';

// The fields idbridge writes directly must be byte for byte what the
// structured-headers library writes (RFC 8941): signatures are made over
// these strings.

describe('component identifiers', () => {
  const items: Item[] = [
    ['@method', new Map()],
    ['@target-uri', new Map()],
    ['@status', new Map()],
    ['content-digest', new Map()],
    ['content-type', new Map()],
    ['@method', new Map([['req', true]])],
    ['content-digest', new Map([['req', true]])],
    ["x-odd name~!#$%&'()*+,-./:;<=>?@[]^_`{|}", new Map()],
    // Left to the library: escapes, other parameters, a false req.
    ['a"quote', new Map()],
    ['a\\backslash', new Map()],
    ['content-type', new Map([['sf', true]])],
    ['@method', new Map([['req', false]])],
    [
      '@method',
      new Map<string, string | boolean>([
        ['req', true],
        ['name', 'x'],
      ]),
    ],
  ];
  it.each(items.map((item) => [serializeItem(item), item] as const))('%s', (expected, item) => {
    expect(componentIdentifier(item)).toBe(expected);
  });

  it('refuses what the library refuses (a non-ASCII name)', () => {
    expect(() => componentIdentifier(['приём', new Map()])).toThrow();
  });
});

describe('Signature and Signature-Input fields', () => {
  it('writes a signature as the library writes a byte sequence, padding included', () => {
    for (const length of [64, 1, 2, 3, 0]) {
      const bytes = new Uint8Array(randomBytes(length));
      const expected = serializeDictionary(new Map([['sig1', [bytes.buffer, new Map()] as Item]]));
      expect(serializeSignature('sig1', bytes)).toBe(expected);
    }
  });

  it('encodes only the bytes of a view, not the rest of its buffer', () => {
    const whole = new Uint8Array(randomBytes(100));
    const view = whole.subarray(10, 74);
    const copy = new Uint8Array(view).buffer;
    expect(serializeSignature('sig1', view)).toBe(
      serializeDictionary(new Map([['sig1', [copy, new Map()] as Item]])),
    );
  });

  it('writes Signature-Input the same from the parameters or from their serialized text', () => {
    const params = createSignatureParams(['@method', '@target-uri', { name: 'x', req: true }], {
      created: 1_764_324_000,
      keyid: 'tamtam-2026-11-28',
      nonce: 'AbCdEfGhIjKlMnOpQrStUv',
      tag: 'idbridge-v1',
    });
    const expected = serializeDictionary(new Map([['sig-b26', params]]));
    expect(serializeSignatureInput('sig-b26', params)).toBe(expected);
    expect(serializeSignatureInput('sig-b26', serializeInnerList(params))).toBe(expected);
  });

  it('refuses a label that is not a structured-field key', () => {
    for (const label of ['Sig1', '1sig', 'sig 1', '']) {
      expect(() => serializeSignature(label, new Uint8Array(64))).toThrow(/not a valid key/);
    }
  });
});
