import iconv from 'iconv-lite';

export type RegisterEncoding = 'utf-8-bom' | 'utf-8' | 'windows-1251';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Register files come as UTF-8 with a BOM (current) or Windows-1251 (older
 * editions). A BOM decides; otherwise bytes that are valid UTF-8 are read as
 * UTF-8 (Cyrillic in cp1251 is almost never valid UTF-8), else as cp1251.
 */
export function decodeRegisterText(bytes: Uint8Array): {
  text: string;
  encoding: RegisterEncoding;
} {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: strictUtf8.decode(bytes.subarray(3)), encoding: 'utf-8-bom' };
  }
  try {
    return { text: strictUtf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: iconv.decode(Buffer.from(bytes), 'win1251'), encoding: 'windows-1251' };
  }
}
