import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { IdbridgeError } from '../core/errors.js';
import type { RoutingParticipant } from './routing-participant.js';

/**
 * The routing view of a directory entry. Other directory fields (role,
 * name, baseUrl, keys) are allowed and ignored here.
 */
export const RoutingParticipantSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
  inn: Type.Optional(Type.String({ pattern: '^(\\d{10}|\\d{12})$' })),
  portOwnerIds: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  mncs: Type.Optional(Type.Array(Type.String({ pattern: '^\\d{2,3}$' }))),
});

const DirectoryFileSchema = Type.Union([
  Type.Array(RoutingParticipantSchema),
  Type.Object({ participants: Type.Array(RoutingParticipantSchema) }),
]);

/**
 * Reads a directory file for routing: JSON or YAML, either a list of
 * participants or `{ participants: [...] }`. Throws INVALID_ARGUMENT naming
 * the file and the bad entry.
 */
export async function loadRoutingDirectory(path: string): Promise<RoutingParticipant[]> {
  let raw: unknown;
  try {
    const text = await readFile(path, 'utf8');
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new IdbridgeError(
      'INVALID_ARGUMENT',
      `cannot read directory ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!Value.Check(DirectoryFileSchema, raw)) {
    const list = Array.isArray(raw)
      ? raw
      : (raw as { participants?: unknown } | null)?.participants;
    const first = Array.isArray(list)
      ? list.flatMap((entry, i) =>
          [...Value.Errors(RoutingParticipantSchema, entry)].map(
            (e) => `entry ${i}${e.path.replaceAll('/', '.')}: ${e.message}`,
          ),
        )[0]
      : 'expected a list of participants or { participants: [...] }';
    throw new IdbridgeError(
      'INVALID_ARGUMENT',
      `invalid directory ${path}: ${first ?? 'malformed'}`,
    );
  }
  const data = raw as Static<typeof DirectoryFileSchema>;
  return Array.isArray(data) ? data : data.participants;
}
