import { type Static, Type } from '@sinclair/typebox';
import {
  DateTime,
  IdentificationCode,
  MAX_NOTIFICATIONS_PER_REQUEST,
  Uuid,
} from './common-schemas.js';

const Closed = { additionalProperties: false } as const;

export const NotificationType = Type.Union([
  Type.Literal('contract_terminated'),
  Type.Literal('number_ported_out'),
  Type.Literal('subscriber_changed'),
]);
export type NotificationType = Static<typeof NotificationType>;

/** One notice (R7): no phone number is sent; the code suffices (R11). */
export const Notification = Type.Object(
  {
    notificationId: Uuid,
    type: NotificationType,
    identificationCode: IdentificationCode,
    occurredAt: DateTime,
    dueBy: DateTime,
  },
  Closed,
);
export type Notification = Static<typeof Notification>;

/** POST /v1/notifications on the messenger (protocol.md §3). */
export const NotificationsRequest = Type.Object(
  {
    notifications: Type.Array(Notification, {
      minItems: 1,
      maxItems: MAX_NOTIFICATIONS_PER_REQUEST,
    }),
  },
  { ...Closed },
);
export type NotificationsRequest = Static<typeof NotificationsRequest>;

export const NotificationsResponse = Type.Object(
  {
    acknowledged: Type.Array(Uuid, { maxItems: MAX_NOTIFICATIONS_PER_REQUEST }),
    rejected: Type.Array(
      Type.Object(
        {
          notificationId: Uuid,
          code: Type.Literal('UNKNOWN_CODE'),
        },
        Closed,
      ),
      { maxItems: MAX_NOTIFICATIONS_PER_REQUEST },
    ),
  },
  { ...Closed },
);
export type NotificationsResponse = Static<typeof NotificationsResponse>;

/** What the notifications endpoint answers on success (the partner client checks it). */
export const NOTIFICATIONS_ANSWERS = { 200: NotificationsResponse } as const;
