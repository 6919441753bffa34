export * from './append-audit-entry.js';
export * from './audit-entry.js';
export * from './audit-store.js';
export * from './canonical-json.js';
export * from './check-audit-chain.js';
export * from './export-audit-log.js';
export * from './run-in-transaction.js';
export * from './verify-audit-log.js';
