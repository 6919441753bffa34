import { IdbridgeError } from '../core/errors.js';

/**
 * What routing needs to know about a directory participant (protocol.md §1).
 * A local, minimal shape so routing does not depend on the full directory
 * type: the directory entry (`id, role, name, inn, baseUrl, keys`, plus
 * `portOwnerIds`/`mncs`) satisfies it structurally.
 */
export interface RoutingParticipant {
  /** Directory slug, e.g. `mts`. */
  id: string;
  /** Tax number; how the numbering plan (ИНН column) names a range holder. */
  inn?: string | undefined;
  /** БДПН `OwnerId` values served by this participant, e.g. `mMTS`. */
  portOwnerIds?: readonly string[] | undefined;
  /** БДПН `MNC` values, e.g. `01`; used when the OwnerId maps to no one. */
  mncs?: readonly string[] | undefined;
}

/** Resolves register and portability identifiers to participant ids. */
export interface ParticipantIndex {
  readonly participantIds: readonly string[];
  byInn(inn: string | undefined): string | undefined;
  /**
   * I5: a ported number goes to whoever serves it now. The OwnerId names the
   * serving operator most precisely (an MVNO has its own OwnerId but its
   * host's MNC), so it is tried first; the MNC is the fallback.
   */
  byPortOwner(ownerId: string, mnc: string): string | undefined;
}

/**
 * Builds the lookup maps. Two participants claiming the same INN, OwnerId
 * or MNC make routing ambiguous, so that is refused as a configuration error.
 */
export function createParticipantIndex(
  participants: readonly RoutingParticipant[],
): ParticipantIndex {
  const inns = new Map<string, string>();
  const owners = new Map<string, string>();
  const mncs = new Map<string, string>();
  const claim = (map: Map<string, string>, what: string, key: string, id: string): void => {
    const holder = map.get(key);
    if (holder !== undefined && holder !== id) {
      throw new IdbridgeError(
        'CONFIG_INVALID',
        `directory: ${what} ${key} is claimed by both ${holder} and ${id}`,
      );
    }
    map.set(key, id);
  };
  for (const p of participants) {
    if (p.inn !== undefined && p.inn.trim() !== '') claim(inns, 'INN', p.inn.trim(), p.id);
    for (const o of p.portOwnerIds ?? []) claim(owners, 'OwnerId', o.trim(), p.id);
    for (const m of p.mncs ?? []) claim(mncs, 'MNC', normalizeMnc(m), p.id);
  }
  return {
    participantIds: participants.map((p) => p.id),
    byInn: (inn) => (inn === undefined ? undefined : inns.get(inn)),
    byPortOwner: (ownerId, mnc) =>
      (ownerId === '' ? undefined : owners.get(ownerId)) ??
      (mnc === '' ? undefined : mncs.get(normalizeMnc(mnc))),
  };
}

/** `1` and `01` are the same MNC; two digits is how БДПН writes them. */
export function normalizeMnc(mnc: string): string {
  const t = mnc.trim();
  return t.length === 1 ? `0${t}` : t;
}
