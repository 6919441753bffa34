/**
 * A validation error inside a list names the item as the API names it — its
 * requestId, eventId or notificationId — beside its index, so a partner can
 * find the item among thousands (R9: batch items). Only a UUID is echoed: any
 * other value could be a number or attacker-chosen bytes.
 */
const ITEM_PATH = /^\/([A-Za-z]+)\/(\d+)(?:\/|$)/;
const ID_FIELDS = ['requestId', 'eventId', 'notificationId'] as const;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function nameInvalidItem(error: unknown, requestBody: unknown, message: string): string {
  const validation = (error as { validation?: Array<{ instancePath?: string }> }).validation;
  const path = Array.isArray(validation) ? validation[0]?.instancePath : undefined;
  const match = path === undefined ? null : ITEM_PATH.exec(path);
  if (!match || typeof requestBody !== 'object' || requestBody === null) return message;
  const list = (requestBody as Record<string, unknown>)[match[1] as string];
  const item = Array.isArray(list) ? (list[Number(match[2])] as unknown) : undefined;
  if (typeof item !== 'object' || item === null) return message;
  for (const field of ID_FIELDS) {
    const id = (item as Record<string, unknown>)[field];
    if (typeof id === 'string' && UUID.test(id))
      return `${match[1]}[${match[2]}] (${field} ${id}): ${message}`;
  }
  return `${match[1]}[${match[2]}]: ${message}`;
}
