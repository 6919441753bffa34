/**
 * The operator's subscriber base (nodes.md "Subscriber base"): contracts with
 * history, BSS subscriber events, and the bulk import. What other modules use.
 */
export { applySubscriberEvents } from './apply-subscriber-events.js';
export {
  formatFromFileName,
  type ImportProgress,
  type ImportSubscribersOptions,
  type ImportSummary,
  importSubscribers,
  type SubscriberFileFormat,
} from './import-subscribers.js';
export {
  type BulkLoader,
  type BulkLoadTransaction,
  createPostgresBulkLoader,
} from './postgres-bulk-loader.js';
export {
  type ContractEndReason,
  findValidContract,
  findValidContracts,
  listContracts,
  type SubscriberContract,
  type SubscriberType,
} from './subscriber-contract-store.js';
export {
  type ApplySubscriberEventsOptions,
  SUBSCRIBER_EVENT_ERRORS,
  type SubscriberEventErrorCode,
  type SubscriberEventResult,
} from './subscriber-event-result.js';
export * from './subscriber-event-schema.js';
export { keyToMsisdn, msisdnToKey } from './subscriber-msisdn.js';
