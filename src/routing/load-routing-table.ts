import { IdbridgeError } from '../core/errors.js';
import type { LoadWarning } from './load-warning.js';
import {
  loadNumberingPlanFile,
  type NumberingPlanFile,
  type PlanRange,
} from './numbering-plan-parser.js';
import { loadPortabilitySnapshot, type PortabilitySnapshot } from './portability-parser.js';
import type { RoutingParticipant } from './routing-participant.js';
import { buildRoutingTable, type RoutingTable } from './routing-table.js';

export interface RoutingSources {
  /** Numbering-plan register files (DEF-9xx); at least one. */
  planFiles: readonly string[];
  /** БДПН Port_All snapshot; without it ported numbers route to the range holder. */
  portedFile?: string | undefined;
  participants: readonly RoutingParticipant[];
  /** Called for every skipped row and file remark as it is found. */
  onWarning?: (w: LoadWarning) => void;
}

export interface LoadedRoutingTable {
  table: RoutingTable;
  plans: Omit<NumberingPlanFile, 'ranges' | 'warnings'>[];
  portability: Omit<PortabilitySnapshot, 'numbers' | 'ownerIndexes' | 'warnings'> | undefined;
  /** All warnings kept (each loader caps its own list). */
  warnings: LoadWarning[];
}

/**
 * Loads the register files and the snapshot and builds a table. Refuses
 * (throws) when the files yield no mobile range at all: swapping such a
 * table in would make every number unroutable, so a reload keeps the old one.
 * Shares nothing with tables already built, so it may run while they serve.
 */
export async function loadRoutingTable(sources: RoutingSources): Promise<LoadedRoutingTable> {
  if (sources.planFiles.length === 0) {
    throw new IdbridgeError('INVALID_ARGUMENT', 'routing needs at least one numbering-plan file');
  }
  const opts = sources.onWarning === undefined ? {} : { onWarning: sources.onWarning };
  const plans = await Promise.all(sources.planFiles.map((f) => loadNumberingPlanFile(f, opts)));
  const portability =
    sources.portedFile === undefined
      ? undefined
      : await loadPortabilitySnapshot(sources.portedFile, opts);
  const ranges: PlanRange[] = plans.flatMap((p) => p.ranges);
  const built = buildRoutingTable({ ranges, portability, participants: sources.participants });
  for (const w of built.warnings) sources.onWarning?.(w);
  if (built.table.stats.ranges === 0) {
    throw new IdbridgeError(
      'INVALID_ARGUMENT',
      `no mobile (9xx) range loaded from ${sources.planFiles.join(', ')}; refusing an empty numbering plan`,
    );
  }
  return {
    table: built.table,
    plans: plans.map(({ ranges: _r, warnings: _w, ...rest }) => rest),
    portability:
      portability === undefined
        ? undefined
        : (({ numbers: _n, ownerIndexes: _o, warnings: _w, ...rest }) => rest)(portability),
    warnings: [
      ...plans.flatMap((p) => p.warnings),
      ...(portability?.warnings ?? []),
      ...built.warnings,
    ],
  };
}
