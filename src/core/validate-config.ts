import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { IdbridgeError } from './errors.js';

/**
 * Fills defaults into a configuration-like value, converts what the schema
 * allows (strings from the environment), and checks it: CONFIG_INVALID
 * names up to ten bad keys and what each expects. The result is frozen.
 * Used for the configuration file and the directory file alike.
 */
export function validateConfig<T extends TSchema>(
  raw: unknown,
  schema: T,
  source = 'configuration',
  /** Names the entry at a key path (`0.keys`) the way its reader knows it. */
  nameKey: (key: string) => string = (key) => key,
): Readonly<Static<T>> {
  // Fill nested section objects so their defaults apply even when absent.
  const withSections = Value.Default(schema, structuredClone(raw ?? {}));
  const converted = Value.Convert(schema, withSections);
  const errors = [...Value.Errors(schema, converted)];
  if (errors.length > 0) {
    const lines = errors.slice(0, 10).map((e) => {
      const key = nameKey(e.path.replace(/^\//, '').replaceAll('/', '.')) || '(root)';
      const allowed = (e.schema.anyOf as Array<{ const?: unknown }> | undefined)
        ?.map((s) => s.const)
        .filter((c) => c !== undefined);
      const message = allowed?.length ? `expected one of ${allowed.join(', ')}` : e.message;
      return `  ${key}: ${message}${e.value === undefined ? '' : ` (got ${JSON.stringify(e.value)})`}`;
    });
    throw new IdbridgeError('CONFIG_INVALID', `invalid ${source}:\n${lines.join('\n')}`);
  }
  return deepFreeze(converted) as Readonly<Static<T>>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
