import { FormatRegistry } from '@sinclair/typebox';
import { isCalendarDate, isDateTime } from '../../core/calendar-dates.js';

/**
 * The `date` and `date-time` formats of the wire schemas, checked by the one
 * calendar rule of src/core/calendar-dates.ts in both validators that read
 * them: TypeBox (NATS events, files, config) and Fastify's Ajv (HTTP bodies).
 * A real day, not just the shape of one (R9, I1).
 */
export function registerTypeBoxDateFormats(): void {
  FormatRegistry.Set('date', isCalendarDate);
  FormatRegistry.Set('date-time', isDateTime);
}

/** The minimal Ajv surface used, so Ajv need not be a direct dependency. */
interface AjvFormats {
  addFormat(name: string, format: { type: 'string'; validate: (text: string) => boolean }): unknown;
}

/** Replaces ajv-formats' own `date`/`date-time` with ours (Fastify's `ajv.onCreate`). */
export function addAjvDateFormats(ajv: AjvFormats): void {
  ajv.addFormat('date', { type: 'string', validate: isCalendarDate });
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
}
