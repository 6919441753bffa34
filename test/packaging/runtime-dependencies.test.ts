import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A deployment installs with `npm ci --omit=dev`. The program runs its
// TypeScript sources as they are (bin/idbridge.js), so every package a
// non-test source file imports at run time must be a production dependency;
// one listed only under devDependencies installs in development and CI and
// is missing on the server, where the node fails to start.

const ROOT = new URL('../../', import.meta.url).pathname;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (/\.(ts|js)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Package names of the run-time imports: static, re-exports and dynamic; type-only left out. */
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  const statements = /^\s*(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'/gms;
  for (const m of source.matchAll(statements)) {
    if (m[2] === undefined) specifiers.push(m[3] as string);
  }
  for (const m of source.matchAll(/^\s*import\s+'([^']+)'/gm)) specifiers.push(m[1] as string);
  for (const m of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) specifiers.push(m[1] as string);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:'))
    .filter((s) => !builtinModules.includes(s))
    .map((s) => {
      const parts = s.split('/');
      return s.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
    });
}

describe('run-time dependencies', () => {
  it('reads static, dynamic and side-effect imports, and skips type-only ones', () => {
    const found = runtimeImports(
      [
        "import { a } from 'alpha';",
        "import type { B } from 'beta';",
        "import {\n  c,\n  type D,\n} from '@scope/gamma/sub';",
        "export { e } from 'delta';",
        "import 'epsilon';",
        "const z = await import('zeta');",
        "import { f } from './local.js';",
        "import { readFile } from 'node:fs/promises';",
        "import { join } from 'path';",
      ].join('\n'),
    );
    expect(found).toEqual(['alpha', '@scope/gamma', 'delta', 'epsilon', 'zeta']);
  });

  it('every package imported by src/ and bin/ at run time is a production dependency', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const files = [...(await sourceFiles('src')), ...(await sourceFiles('bin'))];
    expect(files.length).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const file of files) {
      for (const name of runtimeImports(await readFile(join(ROOT, file), 'utf8'))) {
        if (!(name in pkg.dependencies)) missing.push(`${file}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
