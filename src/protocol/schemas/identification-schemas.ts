import { type Static, Type } from '@sinclair/typebox';
import {
  CalendarDate,
  DateTime,
  IdentificationCode,
  MAX_BATCH_ITEMS,
  Msisdn,
  Uuid,
} from './common-schemas.js';

const Closed = { additionalProperties: false } as const;

/** POST /v1/identifications (protocol.md §2; R3, R5, I3). */
export const IdentificationRequest = Type.Object(
  {
    requestId: Uuid,
    msisdn: Msisdn,
    identificationCode: IdentificationCode,
    purpose: Type.Union([Type.Literal('registration'), Type.Literal('reidentification')]),
    possessionVerifiedAt: DateTime,
    previousCode: Type.Optional(IdentificationCode),
  },
  { ...Closed },
);
export type IdentificationRequest = Static<typeof IdentificationRequest>;

export const NotConfirmedReason = Type.Union([
  Type.Literal('NO_SUBSCRIBER_DATA'),
  Type.Literal('NOT_SERVED'),
]);
export type NotConfirmedReason = Static<typeof NotConfirmedReason>;

export const IdentificationConfirmed = Type.Object(
  { requestId: Uuid, result: Type.Literal('confirmed'), confirmedAt: DateTime },
  Closed,
);
export const IdentificationNotConfirmed = Type.Object(
  {
    requestId: Uuid,
    result: Type.Literal('not_confirmed'),
    reason: NotConfirmedReason,
    decidedAt: DateTime,
  },
  Closed,
);
export const IdentificationPending = Type.Object(
  { requestId: Uuid, result: Type.Literal('pending'), answerBy: DateTime },
  Closed,
);

/** 200 of POST /v1/identifications: decided at once (protocol.md §2). */
export const IdentificationDecided = Type.Union([
  IdentificationConfirmed,
  IdentificationNotConfirmed,
]);

/** Any state of a request: the GET answer (200 decided, 202 pending on the POST). */
export const IdentificationAnswer = Type.Union([
  IdentificationConfirmed,
  IdentificationNotConfirmed,
  IdentificationPending,
]);
export type IdentificationAnswer = Static<typeof IdentificationAnswer>;

/** POST /v1/identifications/batch (R9, I1). */
export const BatchItem = Type.Object(
  {
    requestId: Uuid,
    msisdn: Msisdn,
    identificationCode: IdentificationCode,
    userSince: CalendarDate,
  },
  Closed,
);
export const BatchIdentificationRequest = Type.Object(
  { batchId: Uuid, items: Type.Array(BatchItem, { minItems: 1, maxItems: MAX_BATCH_ITEMS }) },
  { ...Closed },
);
export type BatchIdentificationRequest = Static<typeof BatchIdentificationRequest>;

export const BatchNotConfirmedReason = Type.Union([
  Type.Literal('NO_SUBSCRIBER_DATA'),
  Type.Literal('NUMBER_REASSIGNED'),
  Type.Literal('NOT_SERVED'),
]);
/** `reason` comes with not_confirmed only (protocol.md §2, R9). */
export const BatchResultItem = Type.Union([
  Type.Object({ requestId: Uuid, result: Type.Literal('confirmed') }, Closed),
  Type.Object(
    { requestId: Uuid, result: Type.Literal('not_confirmed'), reason: BatchNotConfirmedReason },
    Closed,
  ),
]);
export const BatchIdentificationResponse = Type.Object(
  { batchId: Uuid, results: Type.Array(BatchResultItem, { maxItems: MAX_BATCH_ITEMS }) },
  { ...Closed },
);
export type BatchIdentificationResponse = Static<typeof BatchIdentificationResponse>;

/** POST /v1/identification-results on the messenger: the answer to a 202 (protocol.md §3). */
export const IdentificationResult = Type.Object(
  {
    requestId: Uuid,
    result: Type.Union([Type.Literal('confirmed'), Type.Literal('not_confirmed')]),
    reason: Type.Optional(NotConfirmedReason),
    decidedAt: DateTime,
  },
  { ...Closed },
);
export type IdentificationResult = Static<typeof IdentificationResult>;

/** What each identification endpoint answers on success, by status (the partner client checks them). */
export const IDENTIFY_ANSWERS = { 200: IdentificationDecided, 202: IdentificationPending } as const;
export const GET_IDENTIFICATION_ANSWERS = { 200: IdentificationAnswer } as const;
export const BATCH_ANSWERS = { 200: BatchIdentificationResponse } as const;
/** The operator's callback with a pending request's result, and a code's withdrawal. */
export const NO_CONTENT_ANSWERS = { 204: null } as const;
