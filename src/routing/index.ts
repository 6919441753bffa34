/**
 * Routing (I5): which operator serves a number now — the portability
 * database (БДПН) first, the numbering-plan range holder otherwise.
 */
export { decodeRegisterText, type RegisterEncoding } from './decode-register-text.js';
export { isValidInn } from './is-valid-inn.js';
export {
  KNOWN_OPERATORS,
  type KnownOperator,
  knownInnsByRegisterName,
  normalizeHolderName,
} from './known-operators.js';
export { loadRoutingDirectory, RoutingParticipantSchema } from './load-routing-directory.js';
export {
  type LoadedRoutingTable,
  loadRoutingTable,
  type RoutingSources,
} from './load-routing-table.js';
export { formatLoadWarning, type LoadWarning } from './load-warning.js';
export { isRussianMobile, normalizeMsisdn } from './normalize-msisdn.js';
export {
  loadNumberingPlanFile,
  type NumberingPlanFile,
  type PlanColumns,
  type PlanRange,
  parseNumberingPlan,
} from './numbering-plan-parser.js';
export {
  loadPortabilitySnapshot,
  type PortabilitySnapshot,
  type PortOwner,
  parsePortabilitySnapshot,
} from './portability-parser.js';
export type { RangeInfo, RouteAnswer, RouteFailureReason } from './route-answer.js';
export {
  createParticipantIndex,
  type ParticipantIndex,
  type RoutingParticipant,
} from './routing-participant.js';
export {
  createRoutingService,
  type RoutingService,
  type RoutingServiceDeps,
} from './routing-service.js';
export { buildRoutingTable, type RoutingTable, type RoutingTableStats } from './routing-table.js';
