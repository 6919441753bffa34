import { type Static, Type } from '@sinclair/typebox';

const Closed = { additionalProperties: false } as const;

/** A public Ed25519 key as JWK (protocol.md §1 "Directory"). */
export const PublicJwk = Type.Object(
  {
    kty: Type.Literal('OKP'),
    crv: Type.Literal('Ed25519'),
    kid: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' }),
    x: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'base64url public key' }),
    alg: Type.Optional(Type.Literal('EdDSA')),
    use: Type.Optional(Type.Literal('sig')),
  },
  Closed,
);
export type PublicJwk = Static<typeof PublicJwk>;

/**
 * A participant this node deals with. `inn` is how the numbering plan names
 * a range holder; `portOwnerIds` and `mncs` are how the portability snapshot
 * names the operator now serving a ported number (I5). Several keys allow
 * rotation.
 */
export const Participant = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'slug, e.g. mts' }),
    role: Type.Union([Type.Literal('operator'), Type.Literal('messenger')]),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    inn: Type.Optional(Type.String({ pattern: '^[0-9]{10}([0-9]{2})?$' })),
    baseUrl: Type.String({ pattern: '^https?://', maxLength: 2048 }),
    keys: Type.Array(PublicJwk, { minItems: 1, maxItems: 16 }),
    portOwnerIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }))),
    mncs: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{2,3}$' }))),
    /** False when no identification agreement is in force: its requests are refused. */
    agreement: Type.Boolean({ default: true }),
  },
  Closed,
);
export type Participant = Static<typeof Participant>;

export const Directory = Type.Array(Participant, { maxItems: 1000 });
export type Directory = Static<typeof Directory>;
