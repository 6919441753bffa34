import type { Queryable } from '../../db/port.js';
import type { SubscriberRecord } from './parse-subscriber-record.js';
import type { BulkLoadTransaction } from './postgres-bulk-loader.js';
import { insertStagingRows, STAGING_COLUMNS } from './subscriber-import-store.js';

/** The valid rows of one chunk, column by column. */
export interface ChunkColumns {
  lineNos: number[];
  msisdnKeys: string[];
  contractIds: string[];
  subscriberTypes: string[];
  hasSubscriberData: boolean[];
  contractStarts: string[];
  contractEnds: Array<string | null>;
}

export function emptyChunkColumns(): ChunkColumns {
  return {
    lineNos: [],
    msisdnKeys: [],
    contractIds: [],
    subscriberTypes: [],
    hasSubscriberData: [],
    contractStarts: [],
    contractEnds: [],
  };
}

export function pushRecord(columns: ChunkColumns, lineNo: number, record: SubscriberRecord): void {
  columns.lineNos.push(lineNo);
  columns.msisdnKeys.push(record.msisdnKey);
  columns.contractIds.push(record.contractId);
  columns.subscriberTypes.push(record.subscriberType);
  columns.hasSubscriberData.push(record.hasSubscriberData);
  columns.contractStarts.push(record.contractStart);
  columns.contractEnds.push(record.contractEnd);
}

// COPY text format: backslash, tab, LF and CR must be escaped in values.
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

function toCopyText(columns: ChunkColumns): string {
  const parts: string[] = [];
  for (let i = 0; i < columns.lineNos.length; i++) {
    const end = columns.contractEnds[i];
    parts.push(
      `${columns.lineNos[i]}\t${columns.msisdnKeys[i]}\t${copyText(columns.contractIds[i] as string)}\t${
        columns.subscriberTypes[i]
      }\t${columns.hasSubscriberData[i] ? 't' : 'f'}\t${copyText(columns.contractStarts[i] as string)}\t${
        end === null || end === undefined ? '\\N' : copyText(end)
      }\n`,
    );
  }
  return parts.join('');
}

/** Loads a chunk into the staging table: COPY when the transaction can, multi-row INSERT otherwise. */
export async function loadChunkIntoStaging(
  tx: Queryable | BulkLoadTransaction,
  columns: ChunkColumns,
): Promise<void> {
  if (columns.lineNos.length === 0) return;
  if ('copyFrom' in tx) {
    await tx.copyFrom(
      `COPY subscriber_import_staging (${STAGING_COLUMNS}) FROM STDIN`,
      toCopyText(columns),
    );
  } else {
    await insertStagingRows(tx, columns);
  }
}
