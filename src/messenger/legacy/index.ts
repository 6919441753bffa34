/** Legacy users (R9, I1): bulk import and reconciliation with the operators. */
export {
  type ImportLegacyUsersOptions,
  importLegacyUsers,
  type LegacyImportSummary,
  legacyFormatFromFileName,
} from './import-legacy-users.js';
export { type LegacyConfig, LegacyConfigSchema } from './legacy-config.js';
export { legacyAwareMaySend, permissionCacheUntil } from './legacy-send-policy.js';
export { type LegacySummary, readLegacySummary } from './legacy-summary.js';
export type { LegacyUsersChanged } from './legacy-user-transitions.js';
export type { LegacyFileFormat } from './parse-legacy-record.js';
export {
  type OperatorProgress,
  type ReconcileDeps,
  type ReconcileOptions,
  reconcileLegacyUsers,
} from './reconcile-legacy-users.js';
