import { randomBytes } from 'node:crypto';

/**
 * A fresh identification code (protocol.md §1, R5): 32 characters of
 * base64url from 192 random bits — opaque, never derived from the number.
 */
export type CodeGenerator = () => string;

export const newIdentificationCode: CodeGenerator = () => randomBytes(24).toString('base64url');
