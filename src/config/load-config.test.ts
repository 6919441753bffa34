import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-config-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('loadConfig', () => {
  it('fills every default when nothing is given', () => {
    const config = loadConfig({ env: {} });
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe('.idbridge/data');
    expect(config.sandbox.port).toBe(7800);
    expect(config.log.level).toBe('info');
  });

  it('reads YAML and JSON files, with the environment winning over the file', async () => {
    const yaml = await file('c.yaml', 'database:\n  poolSize: 4\nsandbox:\n  port: 9000\n');
    const config = loadConfig({ file: yaml, env: { IDBRIDGE_SANDBOX__PORT: '9100' } });
    expect(config.database.poolSize).toBe(4);
    expect(config.sandbox.port).toBe(9100);
    const json = await file('c.json', '{"log": {"level": "debug"}}');
    expect(loadConfig({ file: json, env: {} }).log.level).toBe('debug');
  });

  it('takes DATABASE_URL for database.url', () => {
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://u@h/db' } });
    expect(config.database.url).toBe('postgres://u@h/db');
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
  });

  it('names the bad key and the bad value', () => {
    expect(() => loadConfig({ env: { IDBRIDGE_DATABASE__POOL_SIZE: 'many' } })).toThrow(
      /database\.poolSize: Expected integer \(got "many"\)/,
    );
    expect(() => loadConfig({ env: { IDBRIDGE_LOG__LEVEL: 'loud' } })).toThrow(
      /log\.level: expected one of fatal, error, warn, info/,
    );
    expect(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' } })).toThrow(/database\.url/);
  });

  it('rejects unknown keys by name', async () => {
    const yaml = await file('c.yaml', 'database:\n  poolsize: 4\n');
    expect(() => loadConfig({ file: yaml, env: {} })).toThrow(
      /database\.poolsize: Unexpected property/,
    );
  });

  it('explains an unreadable or unparsable file', async () => {
    expect(() => loadConfig({ file: '/no/such/file.yaml', env: {} })).toThrow(
      /cannot read config file/,
    );
    const broken = await file('c.yaml', 'database: [unclosed');
    expect(() => loadConfig({ file: broken, env: {} })).toThrow(/cannot parse config file/);
  });
});
