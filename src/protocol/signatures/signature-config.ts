import { type Static, Type } from '@sinclair/typebox';

/**
 * Settings for signing and verifying (protocol.md §1), as a config section.
 * `maxSkewSeconds` is both
 * the ±window for `created` and how long the caller must remember nonces.
 */
export const SignatureConfigSchema = Type.Object(
  {
    privateKeyFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'this node’s private JWK, as written by `idbridge keys generate`',
      }),
    ),
    maxSkewSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 300,
      description: 'how far a signature’s created time may lie from this node’s clock',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type SignatureConfig = Static<typeof SignatureConfigSchema>;
