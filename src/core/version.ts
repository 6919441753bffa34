import { readFileSync } from 'node:fs';

/** idbridge's release, from package.json: `idbridge --version` and `/health` say it. */
export const IDBRIDGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
