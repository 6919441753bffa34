import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { IdbridgeError } from '../core/errors.js';
import { validateConfig } from '../core/validate-config.js';
import { Directory, type Participant } from '../protocol/schemas/index.js';

/** The participants a node deals with (protocol.md §1 "Directory"). */
export interface DirectoryIndex {
  readonly participants: readonly Participant[];
  get(id: string): Participant | undefined;
  /** Throws NOT_FOUND naming the id when it is not in the directory. */
  require(id: string): Participant;
}

export function createDirectoryIndex(participants: readonly Participant[]): DirectoryIndex {
  const byId = new Map<string, Participant>();
  for (const p of participants) {
    if (byId.has(p.id))
      throw new IdbridgeError(
        'CONFIG_INVALID',
        `participant "${p.id}" is listed twice in the directory`,
      );
    byId.set(p.id, p);
  }
  return {
    participants,
    get: (id) => byId.get(id),
    require(id) {
      const p = byId.get(id);
      if (!p) throw new IdbridgeError('NOT_FOUND', `participant "${id}" is not in the directory`);
      return p;
    },
  };
}

/** Reads and validates a directory file (YAML or JSON list of participants). */
export function loadDirectoryFile(path: string): Participant[] {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `cannot read directory file ${path}: ${(err as Error).message}`,
    );
  }
  return [
    ...validateConfig(raw, Directory, `directory file ${path}`, (key) =>
      nameDirectoryKey(raw, key),
    ),
  ] as Participant[];
}

/**
 * `0.keys.1.x` becomes `participant "mts" key "mts-2025" x`: a person edits
 * the directory by id and kid, not by position in a list.
 */
export function nameDirectoryKey(raw: unknown, key: string): string {
  const [index, field, keyIndex, ...rest] = key.split('.');
  if (!Array.isArray(raw) || index === undefined || !/^\d+$/.test(index)) return key;
  const entry = raw[Number(index)] as { id?: unknown; keys?: unknown } | undefined;
  const who =
    typeof entry?.id === 'string'
      ? `participant "${entry.id}"`
      : `participant #${Number(index) + 1} (no id)`;
  if (field === undefined) return who;
  if (field === 'keys' && keyIndex !== undefined && /^\d+$/.test(keyIndex)) {
    const keys = Array.isArray(entry?.keys) ? (entry.keys as Array<{ kid?: unknown }>) : [];
    const kid = keys[Number(keyIndex)]?.kid;
    const which = typeof kid === 'string' ? `key "${kid}"` : `key #${Number(keyIndex) + 1}`;
    return [who, which, ...rest].join(' ');
  }
  return `${who} ${[field, keyIndex, ...rest].filter((p) => p !== undefined).join('.')}`;
}
